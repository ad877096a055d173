/**
 * Fooling images without gradients (Nguyen, Yosinski & Clune 2015, direct encoding): per class,
 * a population of images starts as uniform noise; each generation keeps the best `elite` by the
 * target's softmax probability and refills the population with children: a uniform crossover
 * of two elites, then each pixel, with probability `mutation`, moved by Gaussian noise and
 * clipped to [0, 1]. Only forward passes: it fools any model that can score a batch. All
 * unfinished classes' children are scored in one batch per generation.
 */
import { Rng, type Model } from '@hubel/core';
import { describe } from './gradient.js';
import { checkOption, classScores, probabilities, type FoolResult } from './scores.js';

/** Options of {@link foolEvolve}. */
export interface FoolEvolveOptions {
  /** The classes to fool; default all K. */
  readonly classes?: readonly number[];
  /** Stop a class once its best image reaches this probability; default 0.999. */
  readonly confidence?: number;
  /** Most generations per class; default 3000. */
  readonly generations?: number;
  /** Images per class; default 16. */
  readonly population?: number;
  /** Best images kept unchanged each generation (the parents of the rest); default 2. */
  readonly elite?: number;
  /** Probability that a pixel of a child mutates; default 0.01 (about 8 of 784 pixels). */
  readonly mutation?: number;
  /** Standard deviation of a mutation; default 1 (a mutated pixel often lands on 0 or 1). */
  readonly sigma?: number;
  /** Seed of the noise and the mutations; default 1. */
  readonly seed?: number;
  /** Image shape [C, H, W]; default the model input's. */
  readonly imageShape?: readonly number[];
  /** Called after each generation with its number (1-based) and each class's best probability so far. */
  readonly onGeneration?: (generation: number, best: readonly number[]) => void;
}

/**
 * Finds, for each class, an image in [0, 1] that the model (eval mode; first output = class
 * scores) gives at least `confidence` softmax probability, by an evolutionary algorithm on the
 * pixels. Returns each class's best image (`reached: false` when the generation budget ran out
 * first; `iterations` = generations used). Throws a HubelError for a model without class scores or bad options.
 */
export async function foolEvolve(model: Model, options: FoolEvolveOptions = {}): Promise<FoolResult> {
  const what = 'foolEvolve';
  const s = classScores(model, what, options.imageShape);
  const targets = options.classes ?? Array.from({ length: s.classes }, (_, k) => k);
  for (const t of targets) checkOption(t, 'a class', what, (v) => Number.isInteger(v) && v >= 0 && v < s.classes, `0 to ${s.classes - 1}`);
  const confidence = checkOption(options.confidence ?? 0.999, 'confidence', what, (v) => v > 0 && v < 1, 'in (0, 1)');
  const generations = checkOption(options.generations ?? 3000, 'generations', what, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  const pop = checkOption(options.population ?? 16, 'population', what, (v) => Number.isInteger(v) && v >= 2, 'an integer ≥ 2');
  const elite = checkOption(options.elite ?? 2, 'elite', what, (v) => Number.isInteger(v) && v >= 1 && v < pop, `an integer from 1 to ${pop - 1}`);
  const mutation = checkOption(options.mutation ?? 0.01, 'mutation', what, (v) => v > 0 && v <= 1, 'in (0, 1]');
  const sigma = checkOption(options.sigma ?? 1, 'sigma', what, (v) => v > 0, 'positive');
  const rng = new Rng(options.seed ?? 1);
  const size = s.imageShape.reduce((a, b) => a * b, 1);
  const n = targets.length;
  // populations[i]: class i's `pop` images back to back; fitness[i]: their target probabilities.
  const populations = targets.map(() => Float32Array.from({ length: pop * size }, () => rng.uniform()));
  const fitness = targets.map(() => new Float64Array(pop).fill(NaN));
  const iterations = new Array<number>(n).fill(0);
  const best = new Array<number>(n).fill(0);
  const done = new Array<boolean>(n).fill(false);
  for (let gen = 0; gen <= generations; gen++) {
    const active = targets.map((_, i) => i).filter((i) => !done[i]);
    if (!active.length) break;
    if (gen > 0) for (const i of active) breed(populations[i], fitness[i]);
    // Score only the images without a fitness yet (the first generation, then the children).
    const todo = active.flatMap((i) => Array.from({ length: pop }, (_, m) => [i, m] as const).filter(([, m]) => Number.isNaN(fitness[i][m])));
    const batch = new Float32Array(todo.length * size);
    todo.forEach(([i, m], b) => batch.set(populations[i].subarray(m * size, (m + 1) * size), b * size));
    const p = await probabilities(model, batch, todo.length, s);
    todo.forEach(([i, m], b) => (fitness[i][m] = p[b * s.classes + targets[i]]));
    active.forEach((i) => {
      best[i] = Math.max(...fitness[i]);
      iterations[i] = gen;
      if (best[i] >= confidence) done[i] = true;
    });
    options.onGeneration?.(gen, best);
  }
  const images = new Float32Array(n * size);
  targets.forEach((_, i) => {
    const m = argmax(fitness[i]);
    images.set(populations[i].subarray(m * size, (m + 1) * size), i * size);
  });
  return { images, shape: [n, ...s.imageShape], targets: await describe(model, images, targets, iterations, confidence, s) };

  /**
   * In place: the `elite` fittest images move to the front (their fitness kept, so they are not
   * scored again); the rest become children: a uniform crossover of two random elites (which
   * lets improvements found by different children combine), then mutated.
   */
  function breed(images: Float32Array, fit: Float64Array): void {
    const order = Array.from(fit, (f, m) => [f, m] as const).sort((a, b) => b[0] - a[0]).map(([, m]) => m);
    const parents = order.slice(0, elite).map((m) => images.slice(m * size, (m + 1) * size));
    const parentFit = order.slice(0, elite).map((m) => fit[m]);
    for (let m = 0; m < pop; m++) {
      const child = images.subarray(m * size, (m + 1) * size);
      if (m < elite) {
        child.set(parents[m]);
        fit[m] = parentFit[m];
        continue;
      }
      const a = parents[rng.int(elite)];
      const b = parents[rng.int(elite)];
      for (let j = 0; j < size; j++) {
        let v = rng.uniform() < 0.5 ? a[j] : b[j];
        if (rng.uniform() < mutation) v += sigma * rng.normal();
        child[j] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
      fit[m] = NaN;
    }
  }
}

function argmax(a: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i;
  return k;
}
