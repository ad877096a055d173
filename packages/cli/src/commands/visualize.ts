import { join, resolve } from 'node:path';
import { HubelError, type ArrayDataset, type Model } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, dataDirKind, loadMnist } from '@hubel/data';
import { writeFileAtomic } from '@hubel/io';
import { featureMapImage, filterImage, formatGaborFits, gaborFitImage, gaborFitReport, gaborFitSvg, maximizeActivation, maximizedImage, modelGaborFits, patchImage, topPatches } from '@hubel/lab';
import { encodePng, type Image } from '@hubel/viz';
import { UsageError, parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { ensureWritableDir } from '../files.js';
import { loadTestImages } from '../image-data.js';
import { isModelFile, resolveModel } from '../model-source.js';
import { readModelFile } from '../persist.js';
import { cliRegistry, cliZooEntry, createBackend, type BackendChoice } from '../runtime.js';

const WHATS = ['filters', 'maps', 'patches', 'maximize', 'gabor-fit'] as const;
type What = (typeof WHATS)[number];

/** The flags of `hubel visualize`. */
export const visualizeFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'FILE|NAME', help: 'an .onnx model, or a zoo model (fashion, lenet, alexnet, alexnet-1tower, mlp; untrained)', default: 'out/model.onnx' },
  layer: { kind: 'string', meta: 'NAME', help: 'the layer (node) to look at, as `hubel inspect` names it' },
  what: { kind: 'string', oneOf: WHATS, help: 'filters (the layer\'s weights), maps (feature maps of test image N), patches (top-9 test patches per unit), maximize (gradient ascent on the input), gabor-fit (the best Gabor for each filter, R² per fit: PNG, SVG, JSON)' },
  image: { kind: 'int', meta: 'N', help: 'maps: which test image', default: '0' },
  data: { kind: 'string', meta: 'DIR', help: 'maps, patches: directory of MNIST-format IDX files (the t10k-* test split is used), or of PNG/JPEG images in one sub-folder per class', default: 'the bundled Fashion-MNIST sample' },
  limit: { kind: 'int', meta: 'N', help: 'patches: search only the first N test images', default: 'all' },
  units: { kind: 'int', meta: 'K', help: 'patches: the first K units (channels); filters, gabor-fit: at most K filters', default: 'patches 8, filters all' },
  channels: { kind: 'string', oneOf: ['each', 'sum'], help: 'gabor-fit: fit each input channel of a filter, or the filter summed over its input channels', default: 'each' },
  unit: { kind: 'int', meta: 'U', help: 'maximize: the channel (mean over positions) or, for a layer without spatial axes, the unit (e.g. a class score)', default: '0' },
  steps: { kind: 'int', meta: 'N', help: 'maximize: gradient steps', default: '200' },
  seed: { kind: 'int', meta: 'N', help: 'maximize: seed of the start image and the jitter; zoo models: initialization', default: '1' },
  backend: { kind: 'string', oneOf: ['cpu', 'webgpu'], help: 'where to compute', default: 'cpu' },
  out: { kind: 'string', meta: 'DIR', help: 'output directory for the PNG', default: 'out' },
};

/**
 * `hubel visualize --layer NAME --what filters|maps|patches|maximize|gabor-fit`: a thin shell
 * over @hubel/lab's filterImage, featureMapImage, topPatches + patchImage, maximizeActivation
 * and modelGaborFits, writing one PNG into --out (gabor-fit also an SVG and a JSON report) and
 * a line saying what it shows.
 */
export async function visualize(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, visualizeFlags, 'visualize');
  if (positionals.length) throw new UsageError(`hubel visualize: unexpected argument '${positionals[0]}' (use --model FILE)`);
  const layer = flags.layer as string | undefined;
  const what = flags.what as What | undefined;
  if (!layer || !what) throw new UsageError(`hubel visualize: needs --layer NAME and --what ${WHATS.join('|')}`);
  const spec = (flags.model as string | undefined) ?? 'out/model.onnx';
  const out = resolve((flags.out as string | undefined) ?? 'out');
  const seed = (flags.seed as number | undefined) ?? 1;
  ensureWritableDir(out);
  const registry = cliRegistry();
  const backend = await createBackend(registry, (flags.backend as BackendChoice | undefined) ?? 'cpu');
  const needsData = what === 'maps' || what === 'patches';
  const dir = resolve((flags.data as string | undefined) ?? FASHION_MNIST_SAMPLE_DIR);
  const limit = what === 'patches' ? (flags.limit as number | undefined) : undefined;

  let model: Model;
  let images: ArrayDataset | undefined;
  const file = isModelFile(spec) ? resolve(spec) : undefined;
  if (file) {
    model = await readModelFile(file, registry, backend);
  } else if (needsData && (await dataDirKind(dir)) === 'idx') {
    // An untrained zoo model, built for the data's image size and classes.
    images = (await loadMnist(dir, { split: 'test', limit })).dataset;
    model = await resolveModel(spec, { registry, backend, inputShape: images.inputShape, classes: images.classes ?? 10, seed });
  } else {
    const entry = cliZooEntry(spec);
    model = entry.build({ registry }).build({ backend, seed });
  }
  try {
    if (needsData && !images) images = await loadVisualizeImages(dir, model, file ?? spec, limit, ctx);
    const name = layer.replace(/[^A-Za-z0-9_.-]/g, '_');
    let picture: Image;
    let path: string;
    if (what === 'filters') {
      const units = flags.units as number | undefined;
      const r = await filterImage(model, layer, { maxFilters: units });
      picture = r.image;
      path = join(out, `filters-${name}.png`);
      const [f, c, kh, kw] = r.shape;
      ctx.stdout(`filters of ${layer}: ${r.filters}${r.filters < f ? ` of ${f}` : ''} filters of ${c}×${kh}×${kw}${c === 3 ? ', in colour' : c > 1 ? `, one tile per input channel (${c <= 16 ? `a row of ${c} per filter` : `${r.filters * c} tiles, filter by filter`})` : ''}\n`);
    } else if (what === 'maps') {
      const index = (flags.image as number | undefined) ?? 0;
      const r = await featureMapImage(model, layer, images!, index);
      picture = r.image;
      path = join(out, `maps-${name}-image${index}.png`);
      ctx.stdout(`feature maps of ${layer} for test image ${index}: ${r.shape[0]} maps of ${r.shape[1]}×${r.shape[2]}\n`);
    } else if (what === 'patches') {
      const r = await topPatches(model, layer, images!, { units: flags.units as number | undefined });
      picture = patchImage(r, images!);
      path = join(out, `patches-${name}.png`);
      const f = r.field;
      ctx.stdout(
        `patches of ${layer}: receptive field ${f.size.join('×')} pixels, stride ${f.stride.join('×')}, offset ${f.offset.join(', ')}; ` +
          `top ${r.units[0]?.patches.length ?? 0} of ${r.images} test images for units 0-${r.units.length - 1}\n`,
      );
      for (const u of r.units) ctx.stdout(`  unit ${u.unit}: ${u.patches.map((p) => `#${p.image} ${p.activation.toFixed(3)}`).join(', ')}\n`);
    } else if (what === 'gabor-fit') {
      const r = await modelGaborFits(model, layer, { channels: flags.channels as 'each' | 'sum' | undefined, maxFilters: flags.units as number | undefined });
      picture = gaborFitImage(r);
      path = join(out, `gabor-fit-${name}.png`);
      await writeFileAtomic(join(out, `gabor-fit-${name}.svg`), new TextEncoder().encode(gaborFitSvg(r)));
      await writeFileAtomic(join(out, `gabor-fit-${name}.json`), new TextEncoder().encode(`${JSON.stringify(gaborFitReport(r), null, 2)}\n`));
      const [f, c, kh, kw] = r.shape;
      ctx.stdout(`gabor fits of ${layer}: ${r.fits.length} fits of ${kh}×${kw} (${f} filters × ${r.channels === 'sum' || c === 1 ? `1 (${c === 1 ? 'one input channel' : `summed over ${c} input channels`})` : `${c} input channels`}); θ clockwise from x, ψ in degrees, lengths in pixels\n${formatGaborFits(r)}\n`);
      ctx.stdout(`wrote ${join(out, `gabor-fit-${name}.json`)} and ${join(out, `gabor-fit-${name}.svg`)} (filter | fit, captioned with R²)\n`);
    } else {
      const unit = (flags.unit as number | undefined) ?? 0;
      const steps = (flags.steps as number | undefined) ?? 200;
      if (steps < 1) throw new HubelError('attribute', `hubel visualize: --steps must be at least 1, found ${steps}`);
      const r = await maximizeActivation(model, layer, { unit, steps, seed });
      picture = maximizedImage(r);
      path = join(out, `maximize-${name}-unit${unit}.png`);
      const target = r.objective === 'channel mean' ? `channel ${unit} mean` : model.outputs.includes(r.value) ? `class ${unit} score` : `unit ${unit}`;
      const factor = r.start > 0 && r.end > 0 ? ` (×${(r.end / r.start).toFixed(1)})` : '';
      ctx.stdout(`maximize ${layer} ${target}: activation ${fmt(r.start)} at start → ${fmt(r.end)} after ${steps} steps${factor}\n`);
    }
    await writeFileAtomic(path, encodePng(picture));
    ctx.stdout(`wrote ${path} (${picture.width}×${picture.height})\n`);
    return 0;
  } finally {
    model.dispose();
  }
}


function fmt(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4);
}

/** `loadTestImages` with visualize's check of `--limit`. */
async function loadVisualizeImages(dir: string, model: Model, source: string, limit: number | undefined, ctx: CliContext): Promise<ArrayDataset> {
  if (limit !== undefined && limit < 1) throw new HubelError('attribute', `hubel visualize: --limit must be at least 1, found ${limit}`);
  return loadTestImages(dir, model, source, limit, (m) => ctx.stderr(`${m}\n`));
}
