/**
 * @hubel/layers-norm: BatchNormalization (with `BatchNormFinalizer`, the exact test-time
 * statistics pass), InstanceNormalization, LRN, LocalContrastNorm. Register with
 * `registry.use(normLayers)`.
 */
import { definePlugin } from '@hubel/core';
import { batchNormCases } from './batch-norm/cases.js';
import { batchNormCpu } from './batch-norm/cpu.js';
import { batchNormWebGpu } from './batch-norm/webgpu.js';
import { BatchNormalization } from './batch-norm/definition.js';
import { instanceNormCases } from './instance-norm/cases.js';
import { instanceNormCpu } from './instance-norm/cpu.js';
import { instanceNormWebGpu } from './instance-norm/webgpu.js';
import { InstanceNormalization } from './instance-norm/definition.js';
import { localContrastNormCases } from './local-contrast-norm/cases.js';
import { localContrastNormCpu } from './local-contrast-norm/cpu.js';
import { localContrastNormWebGpu } from './local-contrast-norm/webgpu.js';
import { LocalContrastNorm } from './local-contrast-norm/definition.js';
import { lrnCases } from './lrn/cases.js';
import { lrnCpu } from './lrn/cpu.js';
import { lrnWebGpu } from './lrn/webgpu.js';
import { LRN } from './lrn/definition.js';

export { BatchNormalization } from './batch-norm/definition.js';
export { BatchNormFinalizer, type BatchNormFinalizerOptions, type FinalizedStats } from './batch-norm/finalizer.js';
export { InstanceNormalization } from './instance-norm/definition.js';
export { LRN } from './lrn/definition.js';
export { LocalContrastNorm } from './local-contrast-norm/definition.js';

/** The plugin: the normalization layers, their CPU and WebGPU kernels and their test cases. */
export const normLayers = definePlugin({
  name: '@hubel/layers-norm',
  layers: [BatchNormalization, InstanceNormalization, LRN, LocalContrastNorm],
  kernels: [batchNormCpu, instanceNormCpu, lrnCpu, localContrastNormCpu, batchNormWebGpu, instanceNormWebGpu, lrnWebGpu, localContrastNormWebGpu],
  cases: [...batchNormCases, ...instanceNormCases, ...lrnCases, ...localContrastNormCases],
});
