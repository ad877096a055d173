/**
 * L∞-bounded adversarial examples of labelled images: FGSM (Goodfellow et al. 2015),
 * x' = clip(x + ε·sign(∂CE/∂x), 0, 1), and PGD (Madry et al. 2018), `steps` steps of size
 * α = 2.5ε/steps, each projected back onto the ε-ball around x and onto [0, 1], starting at x.
 * ∂CE/∂x comes from one backward pass seeded with p − onehot(y) at the class scores. An image
 * whose PGD iterate is misclassified keeps that iterate (the attack stops there, as Foolbox's do).
 */
import { HubelError, type ArrayDataset, type Model } from '@hubel/core';
import { inputGradient } from '../visualize/maximize.js';
import { checkOption, classScores, logProbSeed, probabilities, softmaxRows } from './scores.js';

/** The attacks {@link adversarialAttack} runs. */
export type AttackMethod = 'fgsm' | 'pgd';

/** Options of {@link adversarialAttack}. */
export interface AttackOptions {
  /** 'fgsm' (one signed-gradient step of ε) or 'pgd' (projected gradient descent). */
  readonly method: AttackMethod;
  /** The L∞ budgets, each in [0, 1]. */
  readonly epsilons: readonly number[];
  /** Attack the first N images of the dataset; default 100 (or all, if fewer). */
  readonly limit?: number;
  /** PGD steps; default 10. */
  readonly steps?: number;
  /** Images per forward/backward pass; default 100. */
  readonly batchSize?: number;
}

/** The result at one ε. */
export interface AttackPoint {
  /** The budget. */
  readonly epsilon: number;
  /** Accuracy on the perturbed images (all N). */
  readonly accuracy: number;
  /** Of the images the model classified correctly unperturbed, the fraction now misclassified. */
  readonly successRate: number;
  /** The perturbed images, [N, C, H, W]. */
  readonly images: Float32Array;
  /** The model's probabilities on them, [N, K] row-major (float64). */
  readonly probabilities: Float64Array;
}

/** What {@link adversarialAttack} returns. */
export interface AttackResult {
  /** The method. */
  readonly method: AttackMethod;
  /** N, the images attacked. */
  readonly images: number;
  /** K, the classes. */
  readonly classes: number;
  /** One image's shape [C, H, W]. */
  readonly imageShape: readonly number[];
  /** The labels of the N images. */
  readonly labels: readonly number[];
  /** Accuracy on the unperturbed images. */
  readonly cleanAccuracy: number;
  /** One entry per ε, in the order given. */
  readonly points: readonly AttackPoint[];
}

/**
 * Attacks the first `limit` images of `data` (int32 class labels; images in [0, 1]) at each ε
 * and measures accuracy and attack success rate, in eval mode. Throws a HubelError naming
 * `epsilon` for an ε outside [0, 1], and for a model without class scores or a dataset whose
 * images do not fit it.
 */
export async function adversarialAttack(model: Model, data: ArrayDataset, options: AttackOptions): Promise<AttackResult> {
  const what = 'adversarialAttack';
  if (!options.epsilons.length) throw new HubelError('attribute', `${what}: no epsilon given`);
  for (const e of options.epsilons) checkOption(e, 'epsilon', what, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const s = classScores(model, what, data.inputShape as number[]);
  const n = Math.min(data.length, checkOption(options.limit ?? 100, 'limit', what, (v) => Number.isInteger(v) && v >= 1, 'a positive integer'));
  const steps = checkOption(options.steps ?? 10, 'steps', what, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
  const batchSize = checkOption(options.batchSize ?? 100, 'batchSize', what, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
  if (data.targetDType !== 'int32') throw new HubelError('dtype', `${what}: the dataset's targets must be class labels (int32)`);
  const size = s.imageShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from(data.x.subarray(0, n * size));
  const labels = Array.from(data.y.subarray(0, n));
  const k = s.classes;
  const correct = (p: Float64Array, i: number) => argmaxRow(p, i, k) === labels[i];
  const clean = await probabilities(model, x, n, s);
  const cleanRight = labels.map((_, i) => correct(clean, i));
  const points: AttackPoint[] = [];
  for (const epsilon of options.epsilons) {
    const adv = new Float32Array(n * size);
    for (let b0 = 0; b0 < n; b0 += batchSize) {
      const b1 = Math.min(n, b0 + batchSize);
      adv.set(await attackBatch(x.subarray(b0 * size, b1 * size), labels.slice(b0, b1), epsilon), b0 * size);
    }
    const p = await probabilities(model, adv, n, s);
    const right = labels.map((_, i) => correct(p, i));
    const fooled = right.filter((r, i) => cleanRight[i] && !r).length;
    const wasRight = cleanRight.filter(Boolean).length;
    points.push({ epsilon, accuracy: right.filter(Boolean).length / n, successRate: wasRight ? fooled / wasRight : 0, images: adv, probabilities: p });
  }
  return { method: options.method, images: n, classes: k, imageShape: s.imageShape, labels, cleanAccuracy: cleanRight.filter(Boolean).length / n, points };

  /** The perturbed copies of one batch of images at budget ε. */
  async function attackBatch(x0: Float32Array, y: readonly number[], epsilon: number): Promise<Float32Array> {
    const m = y.length;
    const xa = Float32Array.from(x0);
    if (epsilon === 0) return xa;
    const fgsm = options.method === 'fgsm';
    const alpha = fgsm ? epsilon : (2.5 * epsilon) / steps;
    const fooled = new Array<boolean>(m).fill(false);
    for (let step = 0; step < (fgsm ? 1 : steps); step++) {
      let p: Float64Array = new Float64Array(0);
      const r = await inputGradient(model, xa, [m, ...s.imageShape], s.value, (z) => logProbSeed((p = softmaxRows(z, k)), k, y, -1));
      for (let i = 0; i < m; i++) {
        if (!fgsm && argmaxRow(p, i, k) !== y[i]) fooled[i] = true; // this iterate already fools it: keep it
        if (fooled[i]) continue;
        for (let j = i * size; j < (i + 1) * size; j++) {
          const g = r.dx![j];
          const v = xa[j] + (g > 0 ? alpha : g < 0 ? -alpha : 0);
          const lo = Math.max(0, x0[j] - epsilon);
          const hi = Math.min(1, x0[j] + epsilon);
          xa[j] = v < lo ? lo : v > hi ? hi : v;
        }
      }
    }
    return xa;
  }
}

function argmaxRow(p: Float64Array, i: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
  return best;
}
