import { join, resolve } from 'node:path';
import { HubelError, Model, type ArrayDataset } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, dataDirKind, loadMnist } from '@hubel/data';
import { writeFileAtomic } from '@hubel/io';
import { diagnoseModel, formatDiagnostics, summarizeLayer, type ModelDiagnostics } from '@hubel/lab';
import { activationHistogramsSvg, correlationHeatMap, encodePng } from '@hubel/viz';
import { parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { ensureWritableDir } from '../files.js';
import { loadFolderForEval, type EvalPart } from '../image-data.js';
import { checkModelInput, isModelFile, resolveModel } from '../model-source.js';
import { readModelFile } from '../persist.js';
import { cliRegistry, cliZooEntry, createBackend, type BackendChoice } from '../runtime.js';

export const diagnoseFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'FILE|NAME', help: 'an .onnx model, or a zoo model (fashion, lenet, mlp, …) built untrained with --seed', default: 'out/model.onnx' },
  data: { kind: 'string', meta: 'DIR', help: 'directory of MNIST-format IDX files, or of PNG/JPEG images in one sub-folder per class', default: 'the bundled Fashion-MNIST sample' },
  split: { kind: 'string', oneOf: ['test', 'train', 'val', 'all'], help: 'which part of the data to run (val and all: image folders only)', default: 'test' },
  limit: { kind: 'int', meta: 'N', help: 'evaluate the first N images', default: '1000' },
  batch: { kind: 'int', meta: 'N', help: 'images per forward pass', default: '100' },
  nodes: { kind: 'string', meta: 'A,B,…', help: 'diagnose only these nodes\' outputs', default: 'every node' },
  seed: { kind: 'int', meta: 'N', help: 'initialization seed of a zoo model', default: '1' },
  backend: { kind: 'string', oneOf: ['cpu', 'webgpu'], help: 'where to compute', default: 'cpu' },
  json: { kind: 'boolean', help: 'print one JSON object instead of the table' },
  out: { kind: 'string', meta: 'DIR', help: 'also write correlation-<output>.png per layer and histograms.svg to DIR' },
};

/**
 * `hubel diagnose`: unit statistics of a model on images, per layer output: sparsity, dead units,
 * mean |correlation| between units, activation mean and std (a table, or JSON); with `--out`, the
 * correlation matrix of each output as a PNG heat map and the activation histograms as SVG.
 */
export async function diagnose(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, diagnoseFlags, 'diagnose');
  if (positionals.length > (flags.model === undefined ? 1 : 0)) throw new HubelError('attribute', `hubel diagnose: unexpected argument '${positionals.at(-1)}' (use --model/--data)`);
  const spec = (flags.model as string | undefined) ?? positionals[0] ?? 'out/model.onnx';
  const dir = resolve((flags.data as string | undefined) ?? FASHION_MNIST_SAMPLE_DIR);
  const limit = (flags.limit as number | undefined) ?? 1000;
  const batch = (flags.batch as number | undefined) ?? 100;
  const part = (flags.split as EvalPart | undefined) ?? 'test';
  if (!(limit >= 1)) throw new HubelError('attribute', `hubel diagnose: --limit must be at least 1, found ${limit}`);
  if (!(batch >= 1)) throw new HubelError('attribute', `hubel diagnose: --batch must be at least 1, found ${batch}`);
  const file = isModelFile(spec);
  if (!file) cliZooEntry(spec);
  else if (flags.seed !== undefined) throw new HubelError('attribute', `hubel diagnose: --seed applies to zoo models; ${spec} is a model file`);
  const out = flags.out === undefined ? undefined : resolve(flags.out as string);
  if (out) ensureWritableDir(out);

  const registry = cliRegistry();
  const backend = await createBackend(registry, (flags.backend as BackendChoice | undefined) ?? 'cpu');
  const source = file ? resolve(spec) : `model '${spec}'`;
  let model: Model | undefined = file ? await readModelFile(resolve(spec), registry, backend) : undefined;
  try {
    let dataset: ArrayDataset;
    if ((await dataDirKind(dir)) === 'idx') {
      if (part !== 'test' && part !== 'train') throw new HubelError('attribute', `hubel diagnose: --split ${part} applies to image folders; ${dir} holds IDX files (splits: test, train)`);
      const set = await loadMnist(dir, { split: part, limit });
      dataset = set.dataset;
      model ??= await resolveModel(spec, { registry, backend, inputShape: [...dataset.inputShape], classes: set.classNames.length, seed: (flags.seed as number | undefined) ?? 1 });
    } else {
      if (!model) {
        // A zoo model is built for its designed input; the folder's images are read in that format.
        const entry = cliZooEntry(spec);
        model = entry.build({ registry, inputShape: [...entry.defaultInput], classes: entry.defaultClasses }).build({ backend, seed: (flags.seed as number | undefined) ?? 1 });
      }
      // Labels play no part here: a view of the model without its class names reads any folder
      // in the model's input format, without mapping the folder's classes onto the model's.
      const { 'hubel.labels': _labels, ...metadata } = model.metadata;
      const view = new Model({ backend, registry, inputs: model.inputs, outputs: model.outputs, nodes: model.nodes, valueInfo: model.valueInfo, metadata, rng: model.rng, hooks: model.hooks }, false);
      ({ dataset } = await loadFolderForEval(dir, view, source, { part, limit, warn: (m) => ctx.stderr(`${m}\n`) }));
    }
    checkModelInput(model, dataset.inputShape, source);
    const nodes = flags.nodes === undefined ? undefined : (flags.nodes as string).split(',').map((s) => s.trim()).filter(Boolean);
    if (nodes && !nodes.length) throw new HubelError('attribute', 'hubel diagnose: --nodes lists no node names');
    const d = await diagnoseModel(model, dataset, { batchSize: batch, limit, nodes });
    const written = out ? await writePictures(out, d) : [];
    if (flags.json) {
      const layers = d.layers.map((l) => ({ ...summarizeLayer(l), dead: l.dead }));
      const json = JSON.stringify({ model: source, data: dir, split: part, images: d.images, seconds: d.seconds, layers, files: written }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
      ctx.stdout(`${json}\n`);
    } else {
      ctx.stdout(`${source} on ${d.images} images (${part} split) from ${dir} (${d.seconds.toFixed(1)}s)\n\n`);
      ctx.stdout(formatDiagnostics(d));
    }
    if (written.length) ctx.stderr(`wrote ${written.length} files to ${out}: ${written.join(', ')}\n`);
    return 0;
  } finally {
    model?.dispose();
  }
}

/** correlation-<value>.png for each output with at least two correlated units, and histograms.svg; returns the file names. */
async function writePictures(dir: string, d: ModelDiagnostics): Promise<string[]> {
  const names: string[] = [];
  const taken = new Set<string>();
  for (const l of d.layers) {
    const n = l.correlationUnits.length;
    if (n < 2) continue;
    let name = `correlation-${l.value.replace(/[^A-Za-z0-9._-]/g, '_')}.png`;
    for (let i = 2; taken.has(name); i++) name = `correlation-${l.value.replace(/[^A-Za-z0-9._-]/g, '_')}-${i}.png`;
    taken.add(name);
    await writeFileAtomic(join(dir, name), encodePng(correlationHeatMap(l.correlation, n)));
    names.push(name);
  }
  const panels = d.layers.map((l) => ({ title: `${l.value} (${l.op} ${l.shape.join('×')})`, ...l.histogram }));
  await writeFileAtomic(join(dir, 'histograms.svg'), new TextEncoder().encode(activationHistogramsSvg(panels, { title: `Activations over ${d.images} images` })));
  names.push('histograms.svg');
  return names;
}
