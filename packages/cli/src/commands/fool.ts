import { join, resolve } from 'node:path';
import { HubelError, type ArrayDataset, type Model } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR } from '@hubel/data';
import { writeFileAtomic } from '@hubel/io';
import { adversarialAttack, classScores, encodeNpy, foolEvolve, foolGradient, type AttackMethod, type FoolResult } from '@hubel/lab';
import { accuracyCurveSvg, encodePng, labelledGridSvg, tileGrid } from '@hubel/viz';
import { UsageError, parseArgs, type FlagSpecs } from '../args.js';
import type { CliContext } from '../context.js';
import { ensureWritableDir } from '../files.js';
import { labelsOf, loadTestImages } from '../image-data.js';
import { isModelFile } from '../model-source.js';
import { readModelFile } from '../persist.js';
import { cliRegistry, createBackend, type BackendChoice } from '../runtime.js';

const METHODS = ['gradient', 'evolve', 'fgsm', 'pgd'] as const;
type Method = (typeof METHODS)[number];

/** The flags of `hubel fool`. */
export const foolFlags: FlagSpecs = {
  model: { kind: 'string', meta: 'FILE.onnx', help: 'the trained model; its first output must be class scores [N, K]', default: 'out/model.onnx' },
  method: { kind: 'string', oneOf: METHODS, help: 'gradient, evolve (fooling images for every class), fgsm, pgd (L∞ attacks on test images)', default: 'gradient' },
  confidence: { kind: 'number', meta: 'P', help: 'gradient, evolve: stop once the target class has this softmax probability', default: '0.999' },
  steps: { kind: 'int', meta: 'N', help: 'gradient: most steps per class; pgd: steps', default: 'gradient 500, pgd 10' },
  rate: { kind: 'number', meta: 'R', help: 'gradient: mean change of a pixel per step', default: '0.01' },
  'from-image': { kind: 'int', meta: 'N', help: 'gradient: start every class from test image N instead of noise' },
  generations: { kind: 'int', meta: 'N', help: 'evolve: most generations per class', default: '3000' },
  population: { kind: 'int', meta: 'N', help: 'evolve: images per class', default: '16' },
  epsilon: { kind: 'string', meta: 'E,E,…', help: 'fgsm, pgd: L∞ budgets in [0, 1], comma-separated', default: '0.01,0.03,0.1' },
  limit: { kind: 'int', meta: 'N', help: 'fgsm, pgd: attack the first N test images', default: '100' },
  data: { kind: 'string', meta: 'DIR', help: 'test images (--from-image, fgsm, pgd): MNIST-format IDX files (t10k-*) or one sub-folder per class', default: 'the bundled Fashion-MNIST sample' },
  seed: { kind: 'int', meta: 'N', help: 'seed of the start noise and the mutations', default: '1' },
  backend: { kind: 'string', oneOf: ['cpu', 'webgpu'], help: 'where to compute', default: 'cpu' },
  out: { kind: 'string', meta: 'DIR', help: 'output directory', default: 'out/fool' },
};

/**
 * `hubel fool --model FILE.onnx --method gradient|evolve|fgsm|pgd --out DIR`: a thin shell over
 * @hubel/lab's foolGradient, foolEvolve and adversarialAttack. Writes DIR/images.npy (the
 * scored images, float32 [N, C, H, W]), DIR/targets.json, DIR/fooling.png (the images) and
 * DIR/fooling.svg (the same images captioned with class and confidence); for fgsm and pgd also
 * DIR/robustness.json and DIR/robustness.svg (accuracy against ε).
 */
export async function fool(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { flags, positionals } = parseArgs(argv, foolFlags, 'fool');
  if (positionals.length) throw new UsageError(`hubel fool: unexpected argument '${positionals[0]}' (use --model FILE.onnx)`);
  const spec = (flags.model as string | undefined) ?? 'out/model.onnx';
  if (!isModelFile(spec)) throw new UsageError(`hubel fool: --model must be a trained .onnx file, found '${spec}'`);
  const method = ((flags.method as string | undefined) ?? 'gradient') as Method;
  const epsilons = parseEpsilons((flags.epsilon as string | undefined) ?? '0.01,0.03,0.1');
  const out = resolve((flags.out as string | undefined) ?? 'out/fool');
  ensureWritableDir(out);
  const registry = cliRegistry();
  const backend = await createBackend(registry, (flags.backend as BackendChoice | undefined) ?? 'cpu');
  const file = resolve(spec);
  const model = await readModelFile(file, registry, backend);
  try {
    const scores = classScores(model, `hubel fool: ${file}`);
    const names = labelsOf(model.metadata['hubel.labels']) ?? Array.from({ length: scores.classes }, (_, k) => `class ${k}`);
    const dir = resolve((flags.data as string | undefined) ?? FASHION_MNIST_SAMPLE_DIR);
    const seed = (flags.seed as number | undefined) ?? 1;
    const t0 = performance.now();
    if (method === 'fgsm' || method === 'pgd') {
      const limit = (flags.limit as number | undefined) ?? 100;
      if (limit < 1) throw new HubelError('attribute', `hubel fool: --limit must be at least 1, found ${limit}`);
      const data = await loadTestImages(dir, model, file, limit, (m) => ctx.stderr(`${m}\n`));
      const r = await adversarialAttack(model, data, { method: method as AttackMethod, epsilons, limit, steps: flags.steps as number | undefined });
      const seconds = (performance.now() - t0) / 1000;
      const [c, h, w] = r.imageShape;
      const size = c * h * w;
      const all = new Float32Array(r.points.length * r.images * size);
      r.points.forEach((p, e) => all.set(p.images, e * r.images * size));
      const k = r.classes;
      const targets = r.points.flatMap((p) =>
        r.labels.map((label, i) => {
          const probs = Array.from(p.probabilities.subarray(i * k, (i + 1) * k));
          const predicted = probs.indexOf(Math.max(...probs));
          return { epsilon: p.epsilon, image: i, target: label, name: names[label], predicted, predictedName: names[predicted], confidence: probs[predicted], labelProbability: probs[label], probabilities: probs };
        }),
      );
      const robustness = {
        method,
        model: file,
        images: r.images,
        steps: method === 'pgd' ? ((flags.steps as number | undefined) ?? 10) : 1,
        cleanAccuracy: r.cleanAccuracy,
        seconds,
        points: r.points.map((p) => ({ epsilon: p.epsilon, accuracy: p.accuracy, successRate: p.successRate })),
      };
      // The picture: the first (up to) 10 images at each ε, one row per ε.
      const shown = Math.min(10, r.images);
      const pick = new Float32Array(r.points.length * shown * size);
      const captions: string[] = [];
      r.points.forEach((p, e) => {
        pick.set(p.images.subarray(0, shown * size), e * shown * size);
        for (let i = 0; i < shown; i++) {
          const t = targets[e * r.images + i];
          captions.push(`ε=${p.epsilon} ${t.name}\n→ ${t.predictedName} ${pct(t.confidence)}`);
        }
      });
      await writePictures(out, pick, r.points.length * shown, [c, h, w], captions, shown, `${method.toUpperCase()}: test images and what the model sees`);
      await writeFileAtomic(join(out, 'images.npy'), encodeNpy(all, [r.points.length * r.images, c, h, w]));
      await writeFileAtomic(join(out, 'targets.json'), text(JSON.stringify(targets, null, 1) + '\n'));
      await writeFileAtomic(join(out, 'robustness.json'), text(JSON.stringify(robustness, null, 2) + '\n'));
      const series = [{ name: method.toUpperCase(), points: [{ epsilon: 0, accuracy: r.cleanAccuracy }, ...robustness.points].sort((a, b) => a.epsilon - b.epsilon) }];
      await writeFileAtomic(join(out, 'robustness.svg'), text(accuracyCurveSvg(series, `Accuracy under ${method.toUpperCase()} (${r.images} test images)`)));
      ctx.stdout(`${method} on ${r.images} test images: clean accuracy ${pct(r.cleanAccuracy)} (${seconds.toFixed(1)}s)\n`);
      for (const p of r.points) ctx.stdout(`  ε ${p.epsilon}: accuracy ${pct(p.accuracy)}, attack success rate ${pct(p.successRate)}\n`);
      ctx.stdout(`wrote ${join(out, 'images.npy')}, targets.json, robustness.json, robustness.svg, fooling.png, fooling.svg\n`);
      return 0;
    }
    const confidence = (flags.confidence as number | undefined) ?? 0.999;
    if (!(confidence > 0 && confidence < 1)) throw new HubelError('attribute', `hubel fool: --confidence must be in (0, 1), found ${confidence}`);
    let r: FoolResult;
    if (method === 'gradient') {
      const index = flags['from-image'] as number | undefined;
      let init: Float32Array | undefined;
      if (index !== undefined) {
        if (index < 0) throw new HubelError('attribute', `hubel fool: --from-image must be at least 0, found ${index}`);
        const data = await loadTestImages(dir, model, file, index + 1, (m) => ctx.stderr(`${m}\n`));
        if (index >= data.length) throw new HubelError('attribute', `hubel fool: --from-image ${index} is out of range: ${dir} has ${data.length} test images`);
        const size = scores.imageShape.reduce((a, b) => a * b, 1);
        init = Float32Array.from(data.x.subarray(index * size, (index + 1) * size));
      }
      const steps = (flags.steps as number | undefined) ?? 500;
      if (steps < 0) throw new HubelError('attribute', `hubel fool: --steps must be at least 0, found ${steps}`);
      r = await foolGradient(model, { confidence, steps, rate: flags.rate as number | undefined, init, seed });
    } else {
      const generations = (flags.generations as number | undefined) ?? 3000;
      if (generations < 0) throw new HubelError('attribute', `hubel fool: --generations must be at least 0, found ${generations}`);
      const population = (flags.population as number | undefined) ?? 16;
      if (population < 2) throw new HubelError('attribute', `hubel fool: --population must be at least 2, found ${population}`);
      r = await foolEvolve(model, { confidence, generations, population, elite: Math.max(1, Math.floor(population / 8)), seed });
    }
    const seconds = (performance.now() - t0) / 1000;
    const [n, c, h, w] = r.shape;
    const targets = r.targets.map((t, i) => ({ image: i, target: t.target, name: names[t.target], confidence: t.confidence, reached: t.reached, iterations: t.iterations, probabilities: t.probabilities }));
    await writeFileAtomic(join(out, 'images.npy'), encodeNpy(r.images, r.shape));
    await writeFileAtomic(join(out, 'targets.json'), text(JSON.stringify(targets, null, 1) + '\n'));
    await writePictures(out, r.images, n, [c, h, w], targets.map((t) => `${t.name}\n${pct(t.confidence)}`), Math.min(10, n), `Fooling images (${method}): class and the model's confidence`);
    const reached = r.targets.filter((t) => t.reached).length;
    const unit = method === 'gradient' ? 'steps' : 'generations';
    ctx.stdout(`fool --method ${method}: ${reached} of ${n} classes reached ${confidence} confidence (${seconds.toFixed(1)}s)\n`);
    for (const t of targets) ctx.stdout(`  ${t.target} ${t.name}: ${pct(t.confidence)} after ${t.iterations} ${unit}${t.reached ? '' : ' (not reached)'}\n`);
    ctx.stdout(`wrote ${join(out, 'images.npy')}, targets.json, fooling.png, fooling.svg\n`);
    return 0;
  } finally {
    model.dispose();
  }
}

/** `--epsilon 0.01,0.03,0.1` as numbers, each in [0, 1]. */
function parseEpsilons(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  values.forEach((v, i) => {
    if (parts[i] === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new HubelError('attribute', `hubel fool: --epsilon values must be numbers in [0, 1], found '${parts[i]}' in '${text}'`);
  });
  return values;
}

/**
 * DIR/fooling.png: the images as a grid (each tile contrast-normalized, `columns` per row); DIR/fooling.svg:
 * the same images at their true [0, 1] scale with a caption under each. PNG has no text, so the captions live in the SVG.
 */
async function writePictures(out: string, images: Float32Array, n: number, [c, h, w]: number[], captions: string[], columns: number, title: string): Promise<void> {
  const channels = c === 3 ? 3 : 1;
  const tiles = channels === c ? images : grayFirst(images, n, c, h * w);
  await writeFileAtomic(join(out, 'fooling.png'), encodePng(tileGrid(tiles, n, channels, h, w, { columns, scale: Math.max(1, Math.round(64 / w)) })));
  await writeFileAtomic(join(out, 'fooling.svg'), text(labelledGridSvg(tiles, n, channels, h, w, captions, { columns, title })));
}

/** The first channel of each image, for models with 2 or more than 3 input channels. */
function grayFirst(images: Float32Array, n: number, c: number, plane: number): Float32Array {
  const out = new Float32Array(n * plane);
  for (let i = 0; i < n; i++) out.set(images.subarray(i * c * plane, i * c * plane + plane), i * plane);
  return out;
}


const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function pct(v: number): string {
  return `${(100 * v).toFixed(v >= 0.999 && v < 1 ? 2 : 1)}%`;
}
