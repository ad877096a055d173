/**
 * @hubel/core: tensors, the three registries (backends, layers, kernels), graph and
 * executor, initializers, optimizers, the trainer with its hooks, metrics. No layers, no kernels.
 */
export { HubelError, fmtShape, type HubelErrorCode } from './errors.js';
export { Tensor, sizeOf, sameShape, disposeAll, type DType, type Shape, type TypedArray, type FloatArray } from './tensor.js';
export { expectBackend, type Backend, type BackendFactory, type BackendName, type BackendStats, type BackendTypes, type CoreOps, type SgdUpdate, type AdamUpdate } from './backend.js';
export { attr, resolveAttrs, type AttrSpec, type AttrSchema, type AttrValues, type AttrInput, type AttrKind, type AttrValue } from './attrs.js';
export {
  defineLayer,
  layerLabel,
  type LayerDefinition,
  type LayerSpec,
  type AnyLayer,
  type AttrsOf,
  type AttrInputOf,
  type ParamsOf,
  type ParamRecord,
  type ParamRecordOf,
  type ParamTensors,
  type ParamSpec,
  type OnnxMapping,
  type OnnxAttrValue,
  type OnnxFunctionBody,
  type OnnxFunctionNode,
  type OnnxInputFromAttr,
} from './layer.js';
export { defineKernel, type KernelDefinition, type KernelImpl, type ForwardArgs, type ForwardResult, type BackwardArgs, type BackwardResult, type Wants, type Mode } from './kernel.js';
export { definePlugin, type Plugin } from './plugin.js';
export { defineCases, type LayerCase, type InputGen } from './cases.js';
export { Registry, defaultRegistry } from './registry.js';
export { Rng, type RngState } from './rng.js';
export { AUTO_PADS, resolveWindowAxis, type AutoPad, type WindowAxisSpec, type ResolvedWindowAxis } from './window.js';
export { initialize, fans, INIT_NAMES, type InitSpec, type InitName } from './init.js';
export { Model, type Node, type ParamRef, type ValueInfo, type NodeForwardEvent, type NodeBackwardEvent, type ModelHooks } from './graph/model.js';
export { ForwardRun, Gradients, type ForwardOptions, type BackwardOptions } from './graph/executor.js';
export { GraphBuilder, Sequential, type BuildOptions, type NodeOptions } from './graph/builder.js';
export { Optimizer, type OptimizerState } from './optim/optimizer.js';
export { Sgd, type SgdOptions } from './optim/sgd.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { stepSchedule, cosineSchedule, type Schedule } from './optim/schedules.js';
export { topKCorrect, errorRate, topKError, confusionMatrix, RunningMean } from './metrics.js';
export { ArrayDataset, type Dataset, type Batch } from './data.js';
export {
  Trainer,
  type TrainerOptions,
  type TrainerPlugin,
  type TrainerState,
  type FitOptions,
  type RunInfo,
  type EpochInfo,
  type BatchForward,
  type BatchStats,
  type EpochStats,
  type EvalStats,
  type FinalizeContext,
  type RunSummary,
} from './train/trainer.js';
export { ProgressBar, fmtDuration, type ProgressBarOptions } from './train/plugins/progress-bar.js';
export { MetricsLog, type LineSink } from './train/plugins/metrics-log.js';
export { NanGuard } from './train/plugins/nan-guard.js';
export { EarlyStopping, type EarlyStoppingOptions } from './train/plugins/early-stopping.js';
export { LrSchedule } from './train/plugins/lr-schedule.js';
export { SyncHook, SyncBailHook, SyncWaterfallHook, AsyncSeriesHook, AsyncSeriesBailHook, HookMap } from './hooks.js';
