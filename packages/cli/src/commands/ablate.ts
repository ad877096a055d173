import { join, resolve } from 'node:path';
import { HubelError, type ArrayDataset } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, dataDirKind, loadMnist, trainValidationSplit } from '@hubel/data';
import { writeFileAtomic } from '@hubel/io';
import { ablateArchitecture, formatAblationTable, formatLesionTable, lesionBarsSvg, lesionLayer, lesionWholeLayers, type LesionResult, type WholeLayerLesionResult } from '@hubel/lab';
import { BatchNormFinalizer } from '@hubel/layers-norm';
import { parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { ensureWritableDir } from '../files.js';
import { imageTarget, loadFolderForTraining, loadTestImages, type ResizeChoice } from '../image-data.js';
import { isModelFile } from '../model-source.js';
import { readModelFile } from '../persist.js';
import { cliRegistry, cliZooEntry, createBackend, type BackendChoice } from '../runtime.js';

export const ablateFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'FILE|NAME', help: 'with --lesion: a trained .onnx model; with --variants: a zoo model (fashion, lenet, alexnet, …)' },
  lesion: { kind: 'string', meta: 'LAYER', help: 'zero each output channel/unit of this layer (Conv, Gemm or BatchNormalization node) in turn and measure test error' },
  'whole-layers': { kind: 'boolean', help: 'with a trained .onnx model (alone or with --lesion): replace each layer whose output has its input\'s shape (activation, dropout, batch norm, LRN, same-shape conv) by identity in turn and measure test error; the rows join the same table and chart, and the layers whose shapes do not allow it are listed with the reason' },
  variants: { kind: 'string', meta: 'A,B,…', help: 'retrain the zoo model with each of these components removed or replaced (the model\'s declared variants, e.g. fashion: no-bn,no-dropout,avgpool,tanh)' },
  data: { kind: 'string', meta: 'DIR', help: 'directory of MNIST-format IDX files, or of PNG/JPEG images in one sub-folder per class (optionally inside train/, val/, test/), read as hubel train and hubel eval read them', default: 'the bundled Fashion-MNIST sample' },
  split: { kind: 'string', meta: 'TRAIN,VAL,TEST', help: '--variants on an image folder of class folders: fractions of each class for training, validation and test (seed 1)', default: '0.8,0.1,0.1' },
  resize: { kind: 'string', oneOf: ['none', 'area', 'bilinear'], help: '--variants on image folders: resize images that are not the model\'s input size (area average or bilinear); none rejects them', default: 'none' },
  limit: { kind: 'int', meta: 'N', help: 'use only the first N training and N test images (image folders: N per part, classes in turn)' },
  seeds: { kind: 'int', meta: 'S', help: '--variants: runs per variant, seeds 1..S', default: '3' },
  epochs: { kind: 'int', meta: 'E', help: '--variants: epochs per run', default: '1' },
  batch: { kind: 'int', meta: 'N', help: 'mini-batch size (training) / images per forward pass (lesion)', default: '64 / 256' },
  lr: { kind: 'number', meta: 'X', help: '--variants: Adam learning rate (cosine schedule)', default: '0.001' },
  validation: { kind: 'number', meta: 'F', help: '--variants: fraction of the training set held out for validation', default: '0.1' },
  backend: { kind: 'string', oneOf: ['cpu', 'webgpu'], help: 'where to compute', default: 'cpu' },
  out: { kind: 'string', meta: 'DIR', help: 'output directory (lesion.md and lesion.svg, or ablation.md and ablation.json)', default: 'out/ablate' },
};

/**
 * `hubel ablate`: a lesion study of a trained model (`--lesion LAYER`: test error with each
 * channel or unit zeroed; `--whole-layers`: with each same-shape layer replaced by identity;
 * sorted by damage, as a table and a bar chart) or an architecture
 * ablation of a zoo model (`--variants`: the full model and each variant retrained with the same
 * seeds and budget, validation and test error as mean ± std over the seeds).
 */
export async function ablate(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, ablateFlags, 'ablate');
  if (positionals.length) throw new HubelError('attribute', `hubel ablate: unexpected argument '${positionals[0]}' (use --model)`);
  const spec = flags.model as string | undefined;
  const lesion = flags.lesion as string | undefined;
  const wholeLayers = flags['whole-layers'] === true;
  const variants = flags.variants as string | undefined;
  if (spec === undefined) throw new HubelError('attribute', 'hubel ablate: --model is required (an .onnx file with --lesion or --whole-layers, a zoo name with --variants)');
  const lesionMode = lesion !== undefined || wholeLayers;
  if (lesionMode === (variants !== undefined)) throw new HubelError('attribute', 'hubel ablate: give exactly one of --lesion LAYER (and/or --whole-layers) or --variants A,B,…');
  const dir = resolve((flags.data as string | undefined) ?? FASHION_MNIST_SAMPLE_DIR);
  const limit = flags.limit as number | undefined;
  if (limit !== undefined && !(limit >= 2)) throw new HubelError('attribute', `hubel ablate: --limit must be at least 2, found ${limit}`);
  const out = resolve((flags.out as string | undefined) ?? 'out/ablate');
  const registry = cliRegistry();
  const backend = await createBackend(registry, (flags.backend as BackendChoice | undefined) ?? 'cpu');
  const enc = (s: string) => new TextEncoder().encode(s);

  if (lesionMode) {
    const mode = lesion !== undefined ? '--lesion' : '--whole-layers';
    for (const f of ['seeds', 'epochs', 'lr', 'validation', 'split', 'resize']) if (flags[f] !== undefined) throw new HubelError('attribute', `hubel ablate: --${f} applies to --variants, not ${mode}`);
    if (!isModelFile(spec)) throw new HubelError('attribute', `hubel ablate: ${mode} needs a trained .onnx model for --model, found '${spec}'`);
    const batch = (flags.batch as number | undefined) ?? 256;
    if (!(batch >= 1)) throw new HubelError('attribute', `hubel ablate: --batch must be at least 1, found ${batch}`);
    ensureWritableDir(out);
    const file = resolve(spec);
    const model = await readModelFile(file, registry, backend);
    try {
      // IDX t10k-* files, or an image folder's test part as the training run split it.
      const test = await loadTestImages(dir, model, file, limit, (m) => ctx.stderr(`${m}\n`));
      let units: LesionResult | undefined;
      let layers: WholeLayerLesionResult | undefined;
      if (lesion !== undefined) units = await lesionLayer(model, test, lesion, { batchSize: batch, onUnit: (d, n) => { if (ctx.tty) ctx.stderr(`\rlesion ${d}/${n}`); } });
      if (ctx.tty && units) ctx.stderr('\n');
      if (wholeLayers) layers = await lesionWholeLayers(model, test, { batchSize: batch, onLayer: (d, n) => { if (ctx.tty) ctx.stderr(`\rwhole-layer lesion ${d}/${n}`); } });
      if (ctx.tty && layers) ctx.stderr('\n');
      const report = { units, layers };
      const table = formatLesionTable(report);
      ctx.stdout(table);
      const seconds = (units?.seconds ?? 0) + (layers?.seconds ?? 0);
      await writeFileAtomic(join(out, 'lesion.md'), enc(`# Lesion study\n\nModel: ${file}; data: ${dir}; ${seconds.toFixed(1)} s.\n\n${table}`));
      await writeFileAtomic(join(out, 'lesion.svg'), enc(lesionBarsSvg(report)));
      ctx.stderr(`wrote ${join(out, 'lesion.md')}, ${join(out, 'lesion.svg')}\n`);
    } finally {
      model.dispose();
    }
    return 0;
  }

  if (isModelFile(spec)) throw new HubelError('attribute', `hubel ablate: --variants retrains a zoo model; --model must be a zoo name, found the file '${spec}'`);
  const entry = cliZooEntry(spec);
  const names = variants!.split(',').map((v) => v.trim()).filter(Boolean);
  const known = Object.keys(entry.variants ?? {});
  for (const v of names.length ? names : ['']) {
    if (!known.includes(v)) throw new HubelError('attribute', `hubel ablate: --variants: model '${spec}' has no variant '${v}' (its variants: ${known.join(', ') || 'none'})`);
  }
  const seedCount = (flags.seeds as number | undefined) ?? 3;
  const epochs = (flags.epochs as number | undefined) ?? 1;
  const batch = (flags.batch as number | undefined) ?? 64;
  const lr = (flags.lr as number | undefined) ?? 0.001;
  const validation = (flags.validation as number | undefined) ?? 0.1;
  if (!(seedCount >= 1)) throw new HubelError('attribute', `hubel ablate: --seeds must be at least 1, found ${seedCount}`);
  if (!(epochs >= 1)) throw new HubelError('attribute', `hubel ablate: --epochs must be at least 1, found ${epochs}`);
  if (!(batch >= 1)) throw new HubelError('attribute', `hubel ablate: --batch must be at least 1, found ${batch}`);
  if (!(lr > 0)) throw new HubelError('attribute', `hubel ablate: --lr must be positive, found ${lr}`);
  if (!(validation > 0 && validation < 1)) throw new HubelError('attribute', `hubel ablate: --validation must be a fraction in (0, 1), found ${validation}`);
  ensureWritableDir(out);
  // The split is fixed (seed 1) so every variant and seed sees the same validation images.
  let split: { train: ArrayDataset; validation?: ArrayDataset };
  let test: ArrayDataset | undefined;
  let classes: number;
  let layout = '';
  if ((await dataDirKind(dir)) === 'idx') {
    for (const f of ['split', 'resize']) if (flags[f] !== undefined) throw new HubelError('attribute', `hubel ablate: --${f} applies to image folders; ${dir} holds IDX files`);
    const trainSet = await loadMnist(dir, { split: 'train', limit });
    test = (await loadMnist(dir, { split: 'test', limit })).dataset;
    split = trainValidationSplit(trainSet.dataset, { validation, seed: 1 });
    classes = trainSet.classNames.length;
  } else {
    // Read as `hubel train` reads it, in the zoo model's input format.
    const target = imageTarget(entry.defaultInput, `model '${spec}'`);
    const folder = await loadFolderForTraining(dir, { command: 'ablate', target, split: flags.split as string | undefined, validationGiven: flags.validation !== undefined, validation, seed: 1, resize: (flags.resize as ResizeChoice | undefined) ?? 'none', limit, warn: (m) => ctx.stderr(`${m}\n`), noTestNote: '; test errors are not reported' });
    split = { train: folder.train, validation: folder.validation };
    test = folder.test?.dataset;
    classes = folder.classNames.length;
    layout = folder.summary;
  }
  const [c, h, w] = split.train.inputShape;
  ctx.stderr(`ablation of ${spec}: full + ${names.join(', ')}; seeds 1..${seedCount}, ${epochs} epoch(s); data: ${dir}${layout}: ${split.train.length} training, ${split.validation?.length ?? 0} validation, ${test?.length ?? 0} test images of ${c}×${h}×${w}, ${classes} classes\n`);
  const r = await ablateArchitecture({
    modelName: spec,
    entry,
    variants: names,
    seeds: Array.from({ length: seedCount }, (_, i) => i + 1),
    epochs,
    train: split.train,
    validation: split.validation,
    test,
    inputShape: [c, h, w],
    classes,
    registry,
    backend,
    batchSize: batch,
    lr,
    plugins: () => [new BatchNormFinalizer()],
    onRun: (run) => ctx.stderr(`${run.variant} seed ${run.seed}: validation error ${(100 * run.valError).toFixed(2)}%, test error ${(100 * run.testError).toFixed(2)}% (${run.seconds.toFixed(1)} s)\n`),
  });
  const table = formatAblationTable(r);
  ctx.stdout(table);
  await writeFileAtomic(join(out, 'ablation.md'), enc(`# Ablation study\n\nData: ${dir}${limit !== undefined ? ` (first ${limit} training and test images)` : ''}; Adam lr ${lr}, cosine schedule, batch ${batch}.\n\n${table}`));
  await writeFileAtomic(join(out, 'ablation.json'), enc(`${JSON.stringify(r, null, 2)}\n`));
  ctx.stderr(`wrote ${join(out, 'ablation.md')}, ${join(out, 'ablation.json')}\n`);
  return 0;
}
