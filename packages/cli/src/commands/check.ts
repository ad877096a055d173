import { resolve } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import type { ArrayDataset, GraphBuilder, Model, Registry } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, dataDirKind, loadMnist } from '@hubel/data';
import { formatGradientCheck, formatOverfitPoint, formatOverfitSummary, gradientCheck, overfitCheck } from '@hubel/lab';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { BatchNormFinalizer } from '@hubel/layers-norm';
import { UsageError, parseArgs, type FlagSpec, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { imageTarget, loadFolderForTraining, modelImageShape } from '../image-data.js';
import { isModelFile, resolveModel } from '../model-source.js';
import { readModelFile } from '../persist.js';
import { cliRegistry, cliZooEntry, createBackend, type BackendChoice } from '../runtime.js';

const modelFlag = { kind: 'string', meta: 'NAME|FILE', help: 'zoo model (fashion, lenet, alexnet, alexnet-1tower, mlp) or an .onnx file', default: 'fashion' } as const;

/** Flags of `hubel check overfit`. */
export const overfitFlags: FlagSpecs = {
  model: modelFlag,
  data: { kind: 'string', meta: 'DIR', help: 'MNIST-format IDX files, or PNG/JPEG images in one sub-folder per class', default: 'the bundled Fashion-MNIST sample' },
  limit: { kind: 'int', meta: 'N', help: 'train on the first N training images', default: '100' },
  steps: { kind: 'int', meta: 'N', help: 'step budget, checked after each epoch', default: '500' },
  batch: { kind: 'int', meta: 'N', help: 'images per step', default: '20' },
  lr: { kind: 'number', meta: 'X', help: 'learning rate', default: '0.001 for adam, 0.05 for sgd' },
  optimizer: { kind: 'string', oneOf: ['adam', 'sgd'], help: 'adam or sgd (momentum 0.9); no weight decay', default: 'adam' },
  seed: { kind: 'int', meta: 'N', help: 'seed for initialization and shuffling', default: '1' },
  backend: { kind: 'string', oneOf: ['cpu', 'webgpu'], help: 'where to compute', default: 'cpu' },
};

/** Flags of `hubel check gradients`. */
export const gradientsFlags: FlagSpecs = {
  model: modelFlag,
  threshold: { kind: 'number', meta: 'T', help: 'largest accepted relative error per scalar (kinks skipped above the same slope jump)', default: '1e-4' },
  'per-tensor': { kind: 'int', meta: 'N', help: 'scalars checked per tensor, evenly spaced (two forward passes each)', default: '40' },
  batch: { kind: 'int', meta: 'N', help: 'images in the batch (the bundled sample\'s first ones for 1×28×28 models, else seeded uniform noise)', default: '2' },
  mode: { kind: 'string', oneOf: ['train', 'eval'], help: 'run mode: train (batch statistics, a fixed dropout mask) or eval', default: 'train' },
  seed: { kind: 'int', meta: 'N', help: 'seed for initialization (zoo models), the noise input, the output projection and the dropout mask', default: '1' },
  'max-seconds': { kind: 'number', meta: 'S', help: 'refuse a check estimated to take longer', default: '300' },
};

/** Every flag of `hubel check`, for its help: which check takes it, and its default there, is in the text. */
export const checkFlags: FlagSpecs = Object.fromEntries(
  [...new Set([...Object.keys(overfitFlags), ...Object.keys(gradientsFlags)])].map((k) => {
    const o = overfitFlags[k];
    const g = gradientsFlags[k];
    const text = (which: string, f: FlagSpec) => `${which}: ${f.help}${f.default !== undefined ? ` (default ${f.default})` : ''}`;
    if (o && g && (o.help !== g.help || o.default !== g.default)) return [k, { ...o, help: `${text('overfit', o)}; ${text('gradients', g)}`, default: undefined }];
    if (o && g) return [k, o];
    return [k, o ? { ...o, help: `overfit: ${o.help}` } : { ...g, help: `gradients: ${g.help}` }];
  }),
);

/**
 * `hubel check overfit|gradients`: the lecture's sanity checks, over @hubel/lab's overfitCheck
 * and gradientCheck. Returns 0 when the check passes, 1 when it fails (stuck above 0% error, a
 * tensor's gradient above the threshold).
 */
export async function check(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'overfit') return overfit(rest, ctx);
  if (sub === 'gradients') return gradients(rest, ctx);
  throw new UsageError(sub === undefined || sub.startsWith('--') ? 'hubel check: name a check: overfit or gradients' : `hubel check: unknown check '${sub}' (checks: overfit, gradients)`);
}

async function overfit(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, overfitFlags, 'check overfit');
  if (positionals.length) throw new UsageError(`hubel check overfit: unexpected argument '${positionals[0]}' (use --model/--data)`);
  const spec = (flags.model as string | undefined) ?? 'fashion';
  const dir = resolve((flags.data as string | undefined) ?? FASHION_MNIST_SAMPLE_DIR);
  const limit = (flags.limit as number | undefined) ?? 100;
  const steps = (flags.steps as number | undefined) ?? 500;
  const batch = (flags.batch as number | undefined) ?? 20;
  const lr = flags.lr as number | undefined;
  const seed = (flags.seed as number | undefined) ?? 1;
  const optimizer = (flags.optimizer as 'adam' | 'sgd' | undefined) ?? 'adam';
  if (limit < 1) throw new UsageError(`hubel check overfit: --limit must be at least 1, found ${limit}`);
  if (steps < 1) throw new UsageError(`hubel check overfit: --steps must be at least 1, found ${steps}`);
  if (batch < 1) throw new UsageError(`hubel check overfit: --batch must be at least 1, found ${batch}`);
  if (lr !== undefined && !(lr > 0)) throw new UsageError(`hubel check overfit: --lr must be positive, found ${lr}`);
  if (!isModelFile(spec)) cliZooEntry(spec);

  const registry = cliRegistry();
  const backend = await createBackend(registry, (flags.backend as BackendChoice | undefined) ?? 'cpu');
  let loaded: Model | undefined;
  let data: ArrayDataset;
  if ((await dataDirKind(dir)) === 'idx') {
    data = (await loadMnist(dir, { split: 'train', limit })).dataset;
  } else {
    if (isModelFile(spec)) loaded = await readModelFile(spec, registry, backend);
    const target = imageTarget(loaded ? modelImageShape(loaded) : cliZooEntry(spec).defaultInput, loaded ? spec : `model '${spec}'`);
    // Only the training part is used: the notes about missing validation/test parts do not apply.
    const warn = (m: string) => void (m.startsWith('note:') || ctx.stderr(`${m}\n`));
    data = (await loadFolderForTraining(dir, { target, validationGiven: false, validation: 0, seed, resize: 'none', limit, warn })).train;
  }
  const [c, h, w] = data.inputShape;
  // A zoo model with a dropout knob is built with ratio 0; overfitCheck also runs any Dropout node (an .onnx file's) at ratio 0.
  const knobs = !isModelFile(spec) && cliZooEntry(spec).knobs?.includes('dropout') ? { dropout: 0 } : {};
  const model = await resolveModel(spec, { registry, backend, inputShape: [c, h, w], classes: data.classes ?? 0, seed, knobs, loaded });
  const n = Math.min(limit, data.length);
  const dropouts = model.nodes.filter((node) => node.layer.domain === '' && node.layer.type === 'Dropout').map((node) => node.name);
  ctx.stderr(
    `overfit check: ${spec} on the first ${n} training images (${c}×${h}×${w}) of ${dir}; ${optimizer} lr ${lr ?? (optimizer === 'sgd' ? 0.05 : 0.001)}, batch ${Math.min(batch, n)}, ` +
      `at most ${steps} steps; regularization off: ${dropouts.length ? `dropout ratio 0 (${dropouts.join(', ')})` : 'no dropout in the model'}, no weight decay, no augmentation\n`,
  );
  try {
    const result = await overfitCheck(model, data, {
      limit,
      steps,
      batchSize: batch,
      optimizer,
      lr,
      seed,
      loss: SoftmaxCrossEntropy,
      plugins: [new BatchNormFinalizer()],
      onPoint: (p) => ctx.stdout(`${formatOverfitPoint(p)}\n`),
    });
    ctx.stdout(formatOverfitSummary(result));
    ctx.stderr(`took ${result.seconds.toFixed(1)} s\n`);
    return result.verdict === 'reached' ? 0 : 1;
  } finally {
    model.dispose();
  }
}

async function gradients(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, gradientsFlags, 'check gradients');
  if (positionals.length) throw new UsageError(`hubel check gradients: unexpected argument '${positionals[0]}' (use --model)`);
  const spec = (flags.model as string | undefined) ?? 'fashion';
  const threshold = (flags.threshold as number | undefined) ?? 1e-4;
  const perTensor = (flags['per-tensor'] as number | undefined) ?? 40;
  const batch = (flags.batch as number | undefined) ?? 2;
  const seed = (flags.seed as number | undefined) ?? 1;
  const maxSeconds = (flags['max-seconds'] as number | undefined) ?? 300;
  if (!(threshold > 0)) throw new UsageError(`hubel check gradients: --threshold must be positive, found ${threshold}`);
  if (perTensor < 1) throw new UsageError(`hubel check gradients: --per-tensor must be at least 1, found ${perTensor}`);
  if (batch < 1) throw new UsageError(`hubel check gradients: --batch must be at least 1, found ${batch}`);
  if (!(maxSeconds > 0)) throw new UsageError(`hubel check gradients: --max-seconds must be positive, found ${maxSeconds}`);

  const registry = cliRegistry();
  // Finite differences need float64: the model is built, or its file imported, on a float64 CPU backend.
  const backend = createCpuBackend({ dtype: 'float64' });
  const model = isModelFile(spec) ? await readModelFile(spec, registry, backend) : smallZooModel(spec, registry, ctx).build({ backend, seed });
  try {
    const [c, h, w] = model.inputs[0].shape.slice(1);
    let input: { shape: number[]; values: Float32Array } | undefined;
    if (c === 1 && h === 28 && w === 28) {
      const sample = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'train', limit: batch })).dataset;
      input = { shape: [sample.length, 1, 28, 28], values: sample.x as Float32Array };
    }
    ctx.stderr(`model: ${spec}, ${model.paramCount().toLocaleString('en-US')} parameters on float64 CPU; input: ${input ? `the first ${input.shape[0]} images of the bundled sample` : `${batch} seeded noise images`}\n`);
    const result = await gradientCheck(model, { input, batch, threshold, maxPerTensor: perTensor, seed, maxSeconds, mode: (flags.mode as 'train' | 'eval' | undefined) ?? 'train' });
    ctx.stdout(formatGradientCheck(result));
    ctx.stderr(`took ${result.seconds.toFixed(1)} s\n`);
    return result.ok ? 0 : 1;
  } finally {
    model.dispose();
  }
}

/**
 * Square inputs smaller than their designed one that zoo models take, for the gradient check:
 * every scalar checked costs two forward passes. AlexNet: 67 is the smallest size for which its
 * conv1 (11×11 stride 4) and three 3×3 stride-2 max pools leave pool5 one position
 * (67 → 15 → 7 → 7 → 3 → 3 → 1); the layers and graph are the same, fc6 just has fewer inputs.
 */
const SMALL_INPUT: Readonly<Record<string, number>> = { alexnet: 67, 'alexnet-1tower': 67 };

/** A zoo model's graph for the gradient check, at the small input of {@link SMALL_INPUT} when it has one. */
function smallZooModel(spec: string, registry: Registry, ctx: CliContext): GraphBuilder {
  const entry = cliZooEntry(spec);
  const s = SMALL_INPUT[spec];
  if (s === undefined) return entry.build({ registry });
  const [c, h, w] = entry.defaultInput;
  ctx.stderr(`note: ${spec} is designed for ${c}×${h}×${w} images; checking it at ${c}×${s}×${s}, the smallest input its layers take (the same layers, smaller activations)\n`);
  return entry.build({ registry, inputShape: [c, s, s] });
}
