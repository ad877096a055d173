/**
 * What the fooling methods share: the model's class-score output ([N, K], K ≥ 2, taken as
 * logits as `hubel eval` does), softmax in float64, and ∂log p_t/∂z = onehot(t) − p, the seed
 * that turns one backward pass into the gradient of a class's log-probability.
 */
import { HubelError, fmtShape, type Model } from '@hubel/core';

/** The model's class-score output and image shape, as {@link classScores} finds them. */
export interface ClassScores {
  /** The output value's name. */
  readonly value: string;
  /** K, the number of classes. */
  readonly classes: number;
  /** One image's shape [C, H, W]. */
  readonly imageShape: readonly number[];
}

/**
 * Checks that `model`'s first output is class scores [N, K] with K ≥ 2 and that its input has a
 * fixed image shape (or `imageShape` is given). Throws a HubelError naming `what` (e.g. the
 * command) and the shapes found.
 */
export function classScores(model: Model, what: string, imageShape?: readonly number[]): ClassScores {
  const value = model.outputs[0];
  const shape = model.valueInfo.get(value)?.shape ?? [];
  const classes = shape[1];
  if (shape.length !== 2 || typeof classes !== 'number' || classes < 2) {
    throw new HubelError('shape', `${what}: the model's output '${value}' is ${fmtShape(shape)}; fooling needs class scores [N, K] with K ≥ 2`);
  }
  const input = model.inputs[0].shape.slice(1);
  const image = imageShape ?? input;
  if (image.length < 2 || image.some((d) => typeof d !== 'number' || !(d >= 1))) {
    throw new HubelError('shape', `${what}: the model's input is ${fmtShape(model.inputs[0].shape)}; give the image shape [C, H, W]`);
  }
  return { value, classes, imageShape: image as number[] };
}

/** Softmax of each row of `scores` ([n, k] row-major), in float64; a new array. */
export function softmaxRows(scores: ArrayLike<number>, k: number): Float64Array {
  const p = new Float64Array(scores.length);
  for (let o = 0; o < scores.length; o += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, scores[o + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += p[o + j] = Math.exp(scores[o + j] - max);
    for (let j = 0; j < k; j++) p[o + j] /= sum;
  }
  return p;
}

/**
 * ∂(Σᵢ sᵢ·log pᵢ[tᵢ])/∂z for each row i of the scores z ([n, k]): sᵢ·(onehot(tᵢ) − pᵢ). `sign` 1
 * ascends the target's log-probability (fooling), −1 the cross-entropy of the label (attacks).
 */
export function logProbSeed(p: Float64Array, k: number, targets: ArrayLike<number>, sign: 1 | -1): Float32Array {
  const seed = new Float32Array(p.length);
  for (let i = 0; i < targets.length; i++) {
    for (let j = 0; j < k; j++) seed[i * k + j] = sign * ((j === targets[i] ? 1 : 0) - p[i * k + j]);
  }
  return seed;
}

/** One fooling image's target and what the model says of it. */
export interface FoolTarget {
  /** The class whose probability was maximized. */
  readonly target: number;
  /** Its softmax probability on the stored image, as Hubel computes it. */
  readonly confidence: number;
  /** Whether it reached the requested confidence. */
  readonly reached: boolean;
  /** Gradient steps or generations spent. */
  readonly iterations: number;
  /** All K softmax probabilities on the stored image. */
  readonly probabilities: readonly number[];
}

/** What {@link foolGradient} and {@link foolEvolve} return. */
export interface FoolResult {
  /** The images, [N, C, H, W] planar, in [0, 1]: exactly the tensors that were scored. */
  readonly images: Float32Array;
  /** Their shape [N, C, H, W]. */
  readonly shape: readonly number[];
  /** One entry per image, in order. */
  readonly targets: readonly FoolTarget[];
}

/** Eval-mode softmax probabilities ([n, K] row-major) of a batch of images [n, ...imageShape]. */
export async function probabilities(model: Model, images: Float32Array, n: number, s: ClassScores): Promise<Float64Array> {
  const xt = model.backend.tensor(images, [n, ...s.imageShape]);
  const run = model.forward({ [model.inputs[0].name]: xt }, { mode: 'eval' });
  try {
    return softmaxRows(await run.get(s.value).read(), s.classes);
  } finally {
    run.dispose();
    xt.dispose();
  }
}

/** Throws a HubelError naming `name` unless `ok(v)`. */
export function checkOption(v: number, name: string, what: string, ok: (v: number) => boolean, expected: string): number {
  if (!ok(v)) throw new HubelError('attribute', `${what}: ${name} must be ${expected}, found ${v}`);
  return v;
}
