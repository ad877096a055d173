import { HubelError, fmtShape } from './errors.js';
import type { Shape } from './tensor.js';

/**
 * Classification metrics on host arrays. `scores` is [N, C] row-major (logits or
 * probabilities; only their order matters); `labels` holds N class indices.
 */
export function topKCorrect(scores: ArrayLike<number>, shape: Shape, labels: ArrayLike<number>, k: number): number {
  if (shape.length !== 2) throw new HubelError('shape', `metrics expect scores of shape [N, C], found ${fmtShape(shape)}`);
  const [n, c] = shape;
  if (labels.length !== n) throw new HubelError('shape', `metrics: ${labels.length} labels for ${n} score rows`);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < c)) throw new HubelError('shape', `metrics: label ${y} at row ${i} is outside [0, ${c})`);
    const sy = scores[i * c + y];
    // Rank of the true class: how many other classes score at least as high. Ties count
    // against it (a network whose scores are all equal has learned nothing, and must not
    // show 0% error), and a NaN score is never correct.
    if (Number.isNaN(sy)) continue;
    let above = 0;
    for (let j = 0; j < c; j++) if (j !== y && !(scores[i * c + j] < sy)) above++;
    if (above < k) correct++;
  }
  return correct;
}

/** Fraction misclassified (top-1). */
export function errorRate(scores: ArrayLike<number>, shape: Shape, labels: ArrayLike<number>): number {
  return 1 - topKCorrect(scores, shape, labels, 1) / shape[0];
}

/** Fraction whose true class is not among the k highest scores. */
export function topKError(scores: ArrayLike<number>, shape: Shape, labels: ArrayLike<number>, k: number): number {
  return 1 - topKCorrect(scores, shape, labels, k) / shape[0];
}

/** Confusion matrix: m[true][predicted] counts. */
export function confusionMatrix(scores: ArrayLike<number>, shape: Shape, labels: ArrayLike<number>): number[][] {
  const [n, c] = shape;
  const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (scores[i * c + j] > scores[i * c + best]) best = j;
    m[labels[i]][best]++;
  }
  return m;
}

/** Streaming mean, weighted by example counts. */
export class RunningMean {
  #sum = 0;
  #n = 0;
  /** Adds `value`, counted `weight` times (e.g. a batch's mean loss weighted by its size). */
  add(value: number, weight = 1): void {
    this.#sum += value * weight;
    this.#n += weight;
  }
  /** The weighted mean so far; NaN before the first {@link RunningMean.add}. */
  get value(): number {
    return this.#n ? this.#sum / this.#n : NaN;
  }
  /** The total weight added. */
  get count(): number {
    return this.#n;
  }
}
