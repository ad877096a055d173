import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  Adam,
  HubelError,
  LrSchedule,
  MetricsLog,
  NanGuard,
  ProgressBar,
  Sgd,
  cosineSchedule,
  stepSchedule,
  Trainer,
  type ArrayDataset,
  type Dataset,
  type Model,
  type Optimizer,
  type RunSummary,
  type TrainerPlugin,
} from '@hubel/core';
import { AugmentedDataset, FASHION_MNIST_SAMPLE_DIR, dataDirKind, loadMnist, trainValidationSplit, type ImageSet } from '@hubel/data';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { BatchNormFinalizer } from '@hubel/layers-norm';
import { encodePng, errorCurvesSvg } from '@hubel/viz';
import { writeFileAtomic } from '@hubel/io';
import { UnitStats } from '@hubel/lab';
import { parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { ensureWritableDir } from '../files.js';
import { imageTarget, loadFolderForTraining, modelImageShape, splitFractions } from '../image-data.js';
import { checkKnobs, isModelFile, resolveModel } from '../model-source.js';
import { readCheckpoint, readModelFile, readRunRecord, writeCheckpoint, writeModelFile, type RunConfig } from '../persist.js';
import { firstLayerPicture } from '../pictures.js';
import { cliRegistry, cliZooEntry, createBackend, type BackendChoice } from '../runtime.js';

export const trainFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'NAME|FILE', help: 'fashion, lenet, alexnet, alexnet-1tower, mlp, hmax, neocognitron, neocognitron-backprop, or an .onnx file to fine-tune', default: 'fashion' },
  data: { kind: 'string', meta: 'DIR', help: 'directory of MNIST-format IDX files (train-*, t10k-*, raw or .gz), or of PNG/JPEG images in one sub-folder per class (optionally inside train/, val/, test/)', default: 'the bundled Fashion-MNIST sample' },
  epochs: { kind: 'int', meta: 'N', help: 'epochs to train (in total, when resuming)', default: '10' },
  batch: { kind: 'int', meta: 'N', help: 'mini-batch size', default: '64' },
  lr: { kind: 'number', meta: 'X', help: 'learning rate', default: '0.001 for adam, 0.05 for sgd' },
  optimizer: { kind: 'string', oneOf: ['adam', 'sgd'], help: 'adam or sgd (momentum 0.9)', default: 'adam' },
  schedule: { kind: 'string', oneOf: ['cosine', 'step', 'none'], help: 'learning-rate schedule over the epochs', default: 'cosine' },
  'weight-decay': { kind: 'number', meta: 'X', help: 'L2 weight decay', default: '0' },
  seed: { kind: 'int', meta: 'N', help: 'seed for initialization, shuffling, dropout and the validation split', default: '1' },
  backend: { kind: 'string', oneOf: ['cpu', 'webgpu'], help: 'where to compute', default: 'cpu' },
  out: { kind: 'string', meta: 'DIR', help: 'output directory', default: 'out (or the --resume directory)' },
  resume: { kind: 'string', meta: 'DIR', help: 'continue the run whose checkpoint.onnx is in DIR' },
  hidden: { kind: 'int', meta: 'N', help: 'hidden units of the zoo model\'s fully connected layer (fashion)', default: 'the model\'s (fashion: 128)' },
  dropout: { kind: 'number', meta: 'X', help: 'dropout ratio of the zoo model (fashion, alexnet)', default: 'the model\'s (0.5)' },
  prototypes: { kind: 'int', meta: 'N', help: 'S2 prototypes of the zoo model (hmax), imprinted from training images before training', default: 'the model\'s (hmax: 500)' },
  validation: { kind: 'number', meta: 'F', help: 'fraction of the training set held out for validation (0: none); IDX data and image folders with train/ but no val/', default: '0.1' },
  split: { kind: 'string', meta: 'TRAIN,VAL,TEST', help: 'image folder of class folders: fractions of each class for training, validation and test (seeded by --seed)', default: '0.8,0.1,0.1' },
  resize: { kind: 'string', oneOf: ['none', 'area', 'bilinear'], help: 'image folders: resize images that are not the model\'s input size (area average or bilinear); none rejects them', default: 'none' },
  augment: { kind: 'string', oneOf: ['none', 'flip', 'crop', 'flip+crop'], help: 'training augmentation (crop pads by 2)', default: 'none' },
  limit: { kind: 'int', meta: 'N', help: 'use only the first N training and N test images (quick runs; image folders: N per part, classes in turn)' },
  'unit-stats': { kind: 'boolean', help: 'also log to metrics.jsonl, per epoch, each parameter tensor\'s weight norm, gradient norm and update/weight ratio, and unit statistics (sparsity, dead units, mean |correlation|) on 256 validation images ("units" records; slower)' },
};

interface TrainSettings extends RunConfig {
  readonly out: string;
  readonly backend: BackendChoice;
}

/**
 * `hubel train`: trains a zoo model (or an .onnx model) on an IDX image set or an image folder
 * (PNG/JPEG, one sub-folder per class; read in the model's input format) with progress,
 * per-epoch training/validation error, batch-norm finalization, a checkpoint per epoch and on
 * Ctrl-C, and writes model.onnx, checkpoint.onnx, metrics.jsonl, filters.png and curves.svg.
 * Returns the exit code (0 done, 130 interrupted).
 */
export async function train(argv: readonly string[], ctx: CliContext, defaults: Partial<TrainSettings> = {}): Promise<number> {
  const { flags, positionals } = parseArgs(argv, trainFlags, 'train');
  if (positionals.length) throw new HubelError('attribute', `hubel train: unexpected argument '${positionals[0]}' (use --model/--data)`);
  const resumeDir = flags.resume as string | undefined;
  const record = resumeDir ? await readRunRecord(resumeDir) : undefined;
  const prior = record?.config;
  const pick = <K extends keyof TrainSettings>(k: K, flag: string, fallback: TrainSettings[K]): TrainSettings[K] =>
    (flags[flag] as TrainSettings[K] | undefined) ?? (prior?.[k as keyof RunConfig] as TrainSettings[K] | undefined) ?? defaults[k] ?? fallback;
  const optimizerName = pick('optimizer', 'optimizer', 'adam');
  const s: TrainSettings = {
    model: pick('model', 'model', 'fashion'),
    data: resolve(pick('data', 'data', FASHION_MNIST_SAMPLE_DIR)),
    epochs: pick('epochs', 'epochs', 10),
    batch: pick('batch', 'batch', 64),
    optimizer: optimizerName,
    lr: pick('lr', 'lr', optimizerName === 'sgd' ? 0.05 : 0.001),
    schedule: pick('schedule', 'schedule', 'cosine'),
    weightDecay: pick('weightDecay', 'weight-decay', 0),
    seed: pick('seed', 'seed', 1),
    validation: pick('validation', 'validation', 0.1),
    augment: pick('augment', 'augment', 'none'),
    limit: pick('limit', 'limit', undefined),
    hidden: pick('hidden', 'hidden', undefined),
    dropout: pick('dropout', 'dropout', undefined),
    prototypes: pick('prototypes', 'prototypes', undefined),
    split: pick('split', 'split', undefined),
    resize: pick('resize', 'resize', undefined),
    backend: (flags.backend as BackendChoice | undefined) ?? defaults.backend ?? 'cpu',
    out: resolve((flags.out as string | undefined) ?? resumeDir ?? defaults.out ?? 'out'),
  };
  validateSettings(s);
  ensureWritableDir(s.out);

  const registry = cliRegistry();
  const backend = await createBackend(registry, s.backend);
  const checkpoint = resumeDir ? await readCheckpoint(resumeDir, registry, backend) : undefined;
  let loaded: Model | undefined;
  let classNames: readonly string[];
  let trainData: ArrayDataset;
  let validation: Dataset | undefined;
  let testSet: ImageSet | undefined;
  let dataMetadata: Record<string, string> = {};
  let layout = '';
  if ((await dataDirKind(s.data)) === 'idx') {
    if (flags.split !== undefined || flags.resize !== undefined) throw new HubelError('attribute', `hubel train: --${flags.split !== undefined ? 'split' : 'resize'} applies to image folders; ${s.data} holds IDX files${flags.split !== undefined ? ' (hold out validation images with --validation)' : ''}`);
    const trainSet = await loadMnist(s.data, { split: 'train', limit: s.limit });
    testSet = await loadTestSet(s.data, s.limit, ctx);
    ({ train: trainData, validation } = splitForValidation(trainSet.dataset, s));
    classNames = trainSet.classNames;
  } else {
    // The images are read in the model's format: a zoo model's designed input, a file's or checkpoint's input.
    if (!checkpoint && isModelFile(s.model)) loaded = await readModelFile(s.model, registry, backend);
    const source = checkpoint ? checkpoint.model : loaded;
    const target = imageTarget(source ? modelImageShape(source) : cliZooEntry(s.model).defaultInput, source ? (checkpoint ? join(resumeDir!, 'checkpoint.onnx') : s.model) : `model '${s.model}'`);
    const folder = await loadFolderForTraining(s.data, { target, split: s.split, validationGiven: flags.validation !== undefined, validation: s.validation, seed: s.seed, resize: s.resize ?? 'none', limit: s.limit, warn: (m) => ctx.stderr(`${m}\n`) });
    ({ train: trainData, validation, test: testSet, classNames, metadata: dataMetadata, summary: layout } = folder);
  }
  const [c, h, w] = trainData.inputShape;
  ctx.stderr(`data: ${s.data}${layout}: ${trainData.length} training, ${validation?.length ?? 0} validation, ${testSet?.dataset.length ?? 0} test images of ${c}×${h}×${w}, ${classNames.length} classes\n`);

  const model = checkpoint
    ? checkpoint.model
    : await resolveModel(s.model, { registry, backend, inputShape: [c, h, w], classes: classNames.length, seed: s.seed, knobs: { hidden: s.hidden, dropout: s.dropout, prototypes: s.prototypes }, loaded });
  ctx.stderr(`model: ${s.model}, ${model.paramCount().toLocaleString('en-US')} parameters, backend ${backend.description}\n`);
  // A fresh zoo model may need a model-specific step first (HMAX imprints its S2 prototypes).
  const prepare = checkpoint || isModelFile(s.model) ? undefined : cliZooEntry(s.model).beforeTraining;
  // On a terminal a line may come mid-epoch (the neocognitron's phases): clear the progress bar's line first.
  const zooContext = { train: trainData, seed: s.seed, log: (line: string) => ctx.stderr(`${ctx.tty ? '\r\x1b[K' : ''}${line}\n`) };
  if (prepare) await prepare(model, zooContext);

  const optimizer = makeOptimizer(s);
  const metricsPath = join(s.out, 'metrics.jsonl');
  if (!checkpoint) rmSync(metricsPath, { force: true });
  const augmented = s.augment === 'none' ? undefined : new AugmentedDataset(trainData, { flip: s.augment.includes('flip'), cropPad: s.augment.includes('crop') ? 2 : 0, seed: s.seed });
  if (augmented && record?.augmentRng) augmented.setState(record.augmentRng);
  const finalizer = new BatchNormFinalizer();
  const plugins: TrainerPlugin[] = [new NanGuard(), new ProgressBar({ write: ctx.stderr, inPlace: ctx.tty }), new MetricsLog(metricsPath), finalizer];
  if (s.schedule !== 'none') plugins.push(new LrSchedule(s.schedule === 'cosine' ? cosineSchedule(s.epochs) : stepSchedule(Math.max(1, Math.ceil(s.epochs / 3)), 0.1)));
  // Plugins a zoo model's training needs (the neocognitron's competitive learning), on resume too.
  if (!isModelFile(s.model)) plugins.push(...(cliZooEntry(s.model).trainerPlugins?.(zooContext) ?? []));
  if (flags['unit-stats']) plugins.push(new UnitStats({ probe: validation ?? testSet?.dataset ?? trainData, diagnose: { limit: 256 }, log: metricsPath }));
  const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer, seed: s.seed, topK: classNames.length > 5 ? [5] : [], plugins });
  const save = async () => writeCheckpoint(s.out, model, await trainer.state(), { config: configOf(s), augmentRng: augmented?.getState() });
  trainer.hooks.epochEnd.tapPromise('Checkpoint', save);

  let interrupts = 0;
  const release = ctx.onInterrupt(() => {
    interrupts++;
    if (interrupts > 1) {
      ctx.stderr('\nsecond Ctrl-C: exiting without a checkpoint\n');
      process.exit(130);
    }
    ctx.stderr('\nCtrl-C: stopping after this batch and writing a checkpoint (press again to quit at once)\n');
    trainer.requestStop('interrupted');
  });
  let summary: RunSummary;
  try {
    summary = await trainer.fit({ train: augmented ?? trainData, validation, epochs: s.epochs, batchSize: s.batch, resume: checkpoint?.state, evalBatchSize: 256 });
  } finally {
    release();
  }
  if (summary.stopReason === 'interrupted') {
    await save();
    ctx.stderr(`interrupted at epoch ${trainer.epoch + 1}: checkpoint written to ${join(s.out, 'checkpoint.onnx')}; continue with: hubel train --resume ${s.out}\n`);
    return 130;
  }
  if (finalizer.last.length) ctx.stderr(`batch norm: stored training-set mean and variance in ${finalizer.last.map((f) => f.node).join(', ')}\n`);

  const test = testSet ? await trainer.evaluate(testSet.dataset, 256) : undefined;
  if (test) ctx.stdout(`test: error ${pct(test.error)} (accuracy ${pct(1 - test.error)})${test.topK[5] !== undefined ? `, top-5 error ${pct(test.topK[5])}` : ''} on ${test.examples} images\n`);
  const last = summary.history.at(-1);
  await writeModelFile(join(s.out, 'model.onnx'), model, {
    'hubel.model': s.model,
    'hubel.labels': JSON.stringify(classNames),
    'hubel.input': `float32 [N, ${c}, ${h}, ${w}], pixel values scaled to [0, 1]`,
    ...dataMetadata,
    'hubel.output': 'class scores (logits; softmax gives probabilities)',
    'hubel.epochs': String(trainer.epoch),
    ...(last ? { 'hubel.val_error': String(last.valError), 'hubel.train_error': String(last.trainError) } : {}),
    ...(test ? { 'hubel.test_error': String(test.error) } : {}),
  });
  const picture = await firstLayerPicture(model);
  if (picture) await writeFileAtomic(join(s.out, 'filters.png'), encodePng(picture));
  await writeFileAtomic(join(s.out, 'curves.svg'), svgBytes(errorCurvesSvg(summary.history, { title: `${s.model} on ${classNames.length}-class ${c}×${h}×${w} images` })));
  ctx.stderr(`wrote ${['model.onnx', 'checkpoint.onnx', 'metrics.jsonl', picture ? 'filters.png' : '', 'curves.svg'].filter(Boolean).map((f) => join(s.out, f)).join(', ')}\n`);
  model.dispose();
  optimizer.dispose();
  return 0;
}

function validateSettings(s: TrainSettings): void {
  const bad = (flag: string, want: string, found: unknown) => new HubelError('attribute', `hubel train: --${flag} must be ${want}, found ${found}`);
  if (!(s.epochs >= 1)) throw bad('epochs', 'at least 1', s.epochs);
  if (!(s.batch >= 1)) throw bad('batch', 'at least 1', s.batch);
  if (!(s.lr > 0)) throw bad('lr', 'positive', s.lr);
  if (!(s.weightDecay >= 0)) throw bad('weight-decay', 'non-negative', s.weightDecay);
  if (!(s.validation >= 0 && s.validation < 1)) throw bad('validation', 'a fraction in [0, 1)', s.validation);
  if (s.limit !== undefined && !(s.limit >= 2)) throw bad('limit', 'at least 2', s.limit);
  if (s.split !== undefined) splitFractions(s.split, 'train');
  if (!isModelFile(s.model)) cliZooEntry(s.model);
  checkKnobs(s.model, { hidden: s.hidden, dropout: s.dropout, prototypes: s.prototypes });
}

async function loadTestSet(dir: string, limit: number | undefined, ctx: CliContext): Promise<ImageSet | undefined> {
  try {
    return await loadMnist(dir, { split: 'test', limit });
  } catch (e) {
    if (e instanceof HubelError && e.code === 'io' && /no test/.test(e.message)) {
      ctx.stderr(`note: ${dir} has no t10k-* test files; reporting validation error only\n`);
      return undefined;
    }
    throw e;
  }
}

function splitForValidation(data: ArrayDataset, s: TrainSettings): { train: ArrayDataset; validation?: ArrayDataset } {
  if (s.validation === 0) return { train: data };
  return trainValidationSplit(data, { validation: s.validation, seed: s.seed });
}

function makeOptimizer(s: TrainSettings): Optimizer {
  return s.optimizer === 'sgd' ? new Sgd({ lr: s.lr, momentum: 0.9, weightDecay: s.weightDecay }) : new Adam({ lr: s.lr, weightDecay: s.weightDecay });
}

function configOf(s: TrainSettings): RunConfig {
  const { out: _out, backend: _backend, ...config } = s;
  return config;
}

const svgBytes = (svg: string) => new TextEncoder().encode(svg);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
