/**
 * Fooling images by gradient ascent (Szegedy et al. 2013; Nguyen et al. 2015, §3.3): for each
 * class t, x ← clip(x + rate·g/mean|g|, 0, 1), with g = ∂log softmax(z(x))[t]/∂x from one
 * backward pass seeded with onehot(t) − p at the class scores, the mean taken over the pixels
 * the clip lets move, and the rate adapted per image. All classes ride in one batch, and each
 * image stops as soon as its probability reaches the requested confidence.
 */
import { HubelError, Rng, fmtShape, type Model } from '@hubel/core';
import { inputGradient } from '../visualize/maximize.js';
import { checkOption, classScores, logProbSeed, type ClassScores, probabilities, softmaxRows, type FoolResult, type FoolTarget } from './scores.js';

/** Options of {@link foolGradient}. */
export interface FoolGradientOptions {
  /** The classes to fool; default all K. */
  readonly classes?: readonly number[];
  /** Stop an image once its target's probability reaches this; default 0.999. */
  readonly confidence?: number;
  /** Most gradient steps per image; default 500. */
  readonly steps?: number;
  /** Initial step size: the mean absolute change of a movable pixel per step (then adapted per image between rate/2ᵏ and 4·rate); default 0.01. */
  readonly rate?: number;
  /** Start image [C, H, W] for every class (e.g. a test image); default uniform noise in [0, 1]. */
  readonly init?: ArrayLike<number>;
  /** Seed of the start noise; default 1. */
  readonly seed?: number;
  /** Image shape [C, H, W]; default the model input's. */
  readonly imageShape?: readonly number[];
}

/**
 * Finds, for each class, an image in [0, 1] that the model (eval mode; its first output taken as
 * class scores) gives at least `confidence` softmax probability, by gradient ascent on the
 * target's log-probability. Images that miss it after `steps` are returned as they are, with
 * `reached: false`. Throws a HubelError for a model without class scores, a bad `init` or bad options.
 */
export async function foolGradient(model: Model, options: FoolGradientOptions = {}): Promise<FoolResult> {
  const s = classScores(model, 'foolGradient', options.imageShape);
  const targets = options.classes ?? Array.from({ length: s.classes }, (_, k) => k);
  for (const t of targets) checkOption(t, 'a class', 'foolGradient', (v) => Number.isInteger(v) && v >= 0 && v < s.classes, `0 to ${s.classes - 1}`);
  const confidence = checkOption(options.confidence ?? 0.999, 'confidence', 'foolGradient', (v) => v > 0 && v < 1, 'in (0, 1)');
  const steps = checkOption(options.steps ?? 500, 'steps', 'foolGradient', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  const rate = checkOption(options.rate ?? 0.01, 'rate', 'foolGradient', (v) => v > 0, 'positive');
  const size = s.imageShape.reduce((a, b) => a * b, 1);
  const n = targets.length;
  const images = new Float32Array(n * size);
  if (options.init) {
    if (options.init.length !== size) throw new HubelError('shape', `foolGradient: init has ${options.init.length} values, the image ${fmtShape(s.imageShape)} needs ${size}`);
    for (let i = 0; i < n; i++) for (let j = 0; j < size; j++) images[i * size + j] = Math.min(1, Math.max(0, options.init[j]));
  } else {
    const rng = new Rng(options.seed ?? 1);
    for (let j = 0; j < images.length; j++) images[j] = rng.uniform();
  }
  const iterations = new Array<number>(n).fill(0);
  // Each image's own step size: ×1.2 after a step that raised its log-probability, ×0.5 after
  // one that lowered it (a fixed step oscillates near the top and stalls short of 99.9%).
  const rates = new Array<number>(n).fill(rate);
  const previous = new Array<number>(n).fill(-Infinity);
  let active = targets.map((_, i) => i);
  for (let step = 0; step <= steps && active.length; step++) {
    const batch = new Float32Array(active.length * size);
    active.forEach((i, b) => batch.set(images.subarray(i * size, (i + 1) * size), b * size));
    const goals = active.map((i) => targets[i]);
    let p: Float64Array = new Float64Array(0);
    const last = step === steps;
    const r = await inputGradient(model, batch, [active.length, ...s.imageShape], s.value, last ? undefined : (y) => logProbSeed((p = softmaxRows(y, s.classes)), s.classes, goals, 1));
    if (last) p = softmaxRows(r.y, s.classes);
    const still: number[] = [];
    active.forEach((i, b) => {
      const pt = p[b * s.classes + goals[b]];
      if (pt >= confidence || last) return;
      still.push(i);
      const logP = Math.log(pt);
      rates[i] = logP >= previous[i] ? Math.min(4 * rate, rates[i] * 1.2) : rates[i] * 0.5;
      previous[i] = logP;
      iterations[i]++;
      const g = r.dx!.subarray(b * size, (b + 1) * size);
      const x = images.subarray(i * size, (i + 1) * size);
      // Normalize by the mean |g| over the pixels that can still move: pixels pinned at 0 or 1
      // by the clip would otherwise shrink the step of the others, and ascent stalls.
      let mean = 0;
      let free = 0;
      for (let j = 0; j < size; j++) {
        if ((g[j] > 0 && x[j] < 1) || (g[j] < 0 && x[j] > 0)) {
          mean += Math.abs(g[j]);
          free++;
        }
      }
      mean /= Math.max(1, free);
      if (!(mean > 0)) return;
      for (let j = 0; j < size; j++) {
        const v = x[j] + (rates[i] * g[j]) / mean;
        x[j] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    });
    active = still;
  }
  return { images, shape: [n, ...s.imageShape], targets: await describe(model, images, targets, iterations, confidence, s) };
}

/** Each image's target, probabilities and whether it reached `confidence`, measured on the stored images in one batch. */
export async function describe(model: Model, images: Float32Array, targets: readonly number[], iterations: readonly number[], confidence: number, s: ClassScores): Promise<FoolTarget[]> {
  const p = await probabilities(model, images, targets.length, s);
  return targets.map((target, i) => {
    const probs = Array.from(p.subarray(i * s.classes, (i + 1) * s.classes));
    return { target, confidence: probs[target], reached: probs[target] >= confidence, iterations: iterations[i], probabilities: probs };
  });
}
