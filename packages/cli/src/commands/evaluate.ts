import { resolve } from 'node:path';
import { HubelError, confusionMatrix, topKError, type ArrayDataset } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, dataDirKind, loadMnist } from '@hubel/data';
import { parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { labelsOf, loadFolderForEval, type EvalPart, type ResizeChoice } from '../image-data.js';
import { checkModelInput } from '../model-source.js';
import { readModelFile } from '../persist.js';
import { scoreDataset } from '../predict.js';
import { cliRegistry, createBackend, type BackendChoice } from '../runtime.js';

export const evalFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'FILE', help: 'the .onnx model to evaluate', default: 'out/model.onnx' },
  data: { kind: 'string', meta: 'DIR', help: 'directory of MNIST-format IDX files, or of PNG/JPEG images in one sub-folder per class (optionally inside train/, val/, test/)', default: 'the bundled Fashion-MNIST sample' },
  split: { kind: 'string', oneOf: ['test', 'train', 'val', 'all'], help: 'which part to evaluate (val and all: image folders only; a folder of class folders is split as the training run recorded in model.onnx)', default: 'test' },
  resize: { kind: 'string', oneOf: ['none', 'area', 'bilinear'], help: 'image folders: resize images that are not the model\'s input size', default: 'the training run\'s (recorded in model.onnx), else none' },
  batch: { kind: 'int', meta: 'N', help: 'examples per forward pass', default: '256' },
  top: { kind: 'int', meta: 'K', help: 'also report top-K error', default: '5' },
  limit: { kind: 'int', meta: 'N', help: 'evaluate only the first N images' },
  backend: { kind: 'string', oneOf: ['cpu', 'webgpu'], help: 'where to compute', default: 'cpu' },
  json: { kind: 'boolean', help: 'print one JSON object instead of text' },
};

/** `hubel eval`: error rate, top-k error and the confusion matrix of an .onnx model on an IDX split or a part of an image folder. */
export async function evaluate(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, evalFlags, 'eval');
  const file = resolve((flags.model as string | undefined) ?? positionals[0] ?? 'out/model.onnx');
  const dir = resolve((flags.data as string | undefined) ?? FASHION_MNIST_SAMPLE_DIR);
  const batch = (flags.batch as number | undefined) ?? 256;
  const k = (flags.top as number | undefined) ?? 5;
  if (!(batch >= 1)) throw new HubelError('attribute', `hubel eval: --batch must be at least 1, found ${batch}`);
  const registry = cliRegistry();
  const backend = await createBackend(registry, (flags.backend as BackendChoice | undefined) ?? 'cpu');
  const model = await readModelFile(file, registry, backend);
  const part = (flags.split as EvalPart | undefined) ?? 'test';
  let dataset: ArrayDataset;
  let names: readonly string[];
  if ((await dataDirKind(dir)) === 'idx') {
    if (part !== 'test' && part !== 'train') throw new HubelError('attribute', `hubel eval: --split ${part} applies to image folders; ${dir} holds IDX files (splits: test, train)`);
    if (flags.resize !== undefined) throw new HubelError('attribute', `hubel eval: --resize applies to image folders; ${dir} holds IDX files`);
    const set = await loadMnist(dir, { split: part, limit: flags.limit as number | undefined });
    checkModelInput(model, set.dataset.inputShape, file);
    dataset = set.dataset;
    names = labelsOf(model.metadata['hubel.labels']) ?? set.classNames;
  } else {
    ({ dataset, names } = await loadFolderForEval(dir, model, file, { part, resize: flags.resize as ResizeChoice | undefined, limit: flags.limit as number | undefined, warn: (m) => ctx.stderr(`${m}\n`) }));
    checkModelInput(model, dataset.inputShape, file);
  }
  const { scores, labels, classes } = await scoreDataset(model, dataset, batch);
  if (classes !== dataset.classes) {
    throw new HubelError('shape', `${file} outputs ${classes} class scores, but ${dir} has ${dataset.classes} classes`);
  }
  const shape = [labels.length, classes];
  const error = topKError(scores, shape, labels, 1);
  const topK = k > 1 && k < classes ? topKError(scores, shape, labels, k) : undefined;
  const confusion = confusionMatrix(scores, shape, labels);
  if (flags.json) {
    ctx.stdout(`${JSON.stringify({ model: file, data: dir, examples: labels.length, error, accuracy: 1 - error, ...(topK !== undefined ? { topK: { [k]: topK } } : {}), classNames: names, confusion })}\n`);
  } else {
    ctx.stdout(`${file} on ${labels.length} images from ${dir}\n`);
    ctx.stdout(`error ${(100 * error).toFixed(2)}% (accuracy ${(100 * (1 - error)).toFixed(2)}%)${topK !== undefined ? `, top-${k} error ${(100 * topK).toFixed(2)}%` : ''}\n\n`);
    ctx.stdout(formatConfusion(confusion, names));
  }
  model.dispose();
  return 0;
}

/** Rows: true class; columns: predicted class (by index); last column: per-class error. */
export function formatConfusion(m: readonly (readonly number[])[], names: readonly string[]): string {
  const label = (i: number) => `${i} ${names[i] ?? ''}`;
  const corner = 'true \\ predicted';
  const nameW = Math.max(corner.length, ...m.map((_, i) => label(i).length));
  const cellW = Math.max(4, ...m.flat().map((v) => String(v).length)) + 1;
  const head = `${corner.padEnd(nameW)} ${m.map((_, j) => String(j).padStart(cellW)).join('')}   error\n`;
  const rows = m.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const err = total ? (100 * (total - row[i])) / total : 0;
    return `${label(i).padEnd(nameW)} ${row.map((v) => String(v).padStart(cellW)).join('')}  ${err.toFixed(1).padStart(5)}%\n`;
  });
  return head + rows.join('');
}
