/**
 * Activation maximization (Erhan et al. 2009; Simonyan et al. 2014): gradient ascent on the
 * input image for one unit, with the regularizers of Yosinski et al. 2015 ("Understanding
 * neural networks through deep visualization"): L2 decay toward a neutral image, Gaussian
 * blur every few steps, and random jitter (a wrapped shift of the image before each step, as
 * DeepDream does), so the result is an image rather than high-frequency noise.
 */
import { HubelError, Rng, fmtShape, type Model } from '@hubel/core';
import { tileGrid, type GridOptions, type Image } from '@hubel/viz';
import { layerOutput } from './layer.js';

/** Options of {@link maximizeActivation}. */
export interface MaximizeOptions {
  /** The unit: a channel for [N, C, H, W] outputs (its mean over positions is maximized), or an index for [N, K] outputs (e.g. a class score). Default 0. */
  readonly unit?: number;
  /** Gradient steps; default 200. */
  readonly steps?: number;
  /** Step size as a fraction of the pixel range, applied to the gradient divided by its mean absolute value; default 0.02. */
  readonly rate?: number;
  /** L2 decay: each step pulls the image toward `center` by this fraction; default 0.01. */
  readonly decay?: number;
  /** Largest random shift in pixels before each step (0: none); default 1. */
  readonly jitter?: number;
  /** Blur the image with a Gaussian of this standard deviation in pixels every `blurEvery` steps (0: never); default 0.5. */
  readonly blurSigma?: number;
  /** Steps between blurs; default 4. */
  readonly blurEvery?: number;
  /** Pixel range [lo, hi] the image is clipped to; default [0, 1] (Hubel's image loaders). */
  readonly range?: readonly [number, number];
  /** The neutral image value the decay pulls toward and the start image is drawn around; default the middle of `range`. */
  readonly center?: number;
  /** Start image [C, H, W] (default: `center` plus uniform noise of ±5% of the range). */
  readonly init?: ArrayLike<number>;
  /** Seed of the start noise and the jitter; default 1. */
  readonly seed?: number;
  /** Image shape [C, H, W]; default the model input's (needed when it has symbolic sizes). */
  readonly inputShape?: readonly number[];
  /** Called after each step with the step number (1-based) and the activation it measured (on the jittered image). */
  readonly onStep?: (step: number, activation: number) => void;
}

/** What {@link maximizeActivation} returns. */
export interface MaximizeResult {
  /** The value whose unit was maximized. */
  readonly value: string;
  /** The unit (channel or index). */
  readonly unit: number;
  /** What was maximized: the channel's mean over positions, or the unit's value. */
  readonly objective: 'channel mean' | 'unit';
  /** The objective on the start image. */
  readonly start: number;
  /** The objective on the final image (no jitter). */
  readonly end: number;
  /** The objective measured at each step (on the jittered image). */
  readonly history: readonly number[];
  /** The final image, [C, H, W] planar, within `range`. */
  readonly image: Float32Array;
  /** Its shape [C, H, W]. */
  readonly shape: readonly number[];
}

/**
 * Finds an input image that makes one unit of `layer` (a node or value name) large, by
 * gradient ascent on the input in eval mode: ∂(objective)/∂x comes from one backward pass seeded
 * at the layer's output (`run.backward({ seeds, inputs })`), then x ← clip(x + rate·(hi − lo)·
 * g / mean|g|), decayed toward `center`, and blurred every `blurEvery` steps. The objective is
 * the channel's mean over positions for [N, C, H, W] outputs, the unit's value for [N, K] ones.
 * Throws a HubelError listing the layers for an unknown name, and for a unit out of range or
 * bad options.
 */
export async function maximizeActivation(model: Model, layer: string, options: MaximizeOptions = {}): Promise<MaximizeResult> {
  const { value, shape: valueShape } = layerOutput(model, layer);
  const input = model.inputs[0];
  const shape = options.inputShape ?? input.shape.slice(1);
  if (shape.length < 2 || shape.some((d) => typeof d !== 'number' || !(d >= 1))) {
    throw new HubelError('shape', `maximize: the model's input is ${fmtShape(input.shape)}; give inputShape [C, H, W]`);
  }
  const [c, h, w] = shape as number[];
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  const units = valueShape[1];
  const unit = options.unit ?? 0;
  if (valueShape.length < 2 || typeof units !== 'number') throw new HubelError('shape', `maximize: layer '${layer}' has output ${fmtShape(valueShape)}, expected [N, C, …]`);
  if (!(Number.isInteger(unit) && unit >= 0 && unit < units)) {
    throw new HubelError('attribute', `maximize: unit ${unit} is out of range: layer '${layer}' has ${units} ${valueShape.length > 2 ? 'channels' : 'units'} (0 to ${units - 1})`);
  }
  const steps = check(options.steps ?? 200, 'steps', (v) => Number.isInteger(v) && v >= 0);
  const rate = check(options.rate ?? 0.02, 'rate', (v) => v > 0);
  const decay = check(options.decay ?? 0.01, 'decay', (v) => v >= 0 && v < 1);
  const jitter = check(options.jitter ?? 1, 'jitter', (v) => Number.isInteger(v) && v >= 0);
  const blurSigma = check(options.blurSigma ?? 0.5, 'blurSigma', (v) => v >= 0);
  const blurEvery = check(options.blurEvery ?? 4, 'blurEvery', (v) => Number.isInteger(v) && v >= 1);
  const [lo, hi] = options.range ?? [0, 1];
  if (!(hi > lo)) throw new HubelError('attribute', `maximize: range [${lo}, ${hi}] is empty`);
  const center = options.center ?? (lo + hi) / 2;
  const rng = new Rng(options.seed ?? 1);
  let x: Float32Array;
  if (options.init) {
    if (options.init.length !== size) throw new HubelError('shape', `maximize: init has ${options.init.length} values, the input ${fmtShape(shape as number[])} needs ${size}`);
    x = Float32Array.from(options.init);
  } else {
    x = Float32Array.from({ length: size }, () => center + 0.05 * (hi - lo) * rng.range(-1, 1));
  }
  clip(x, lo, hi);

  const objective: MaximizeResult['objective'] = valueShape.length > 2 ? 'channel mean' : 'unit';
  /** The objective at image `img`, and with `withGrad` its gradient with respect to the image. */
  const evaluate = async (img: Float32Array, withGrad: boolean): Promise<{ a: number; g?: Float32Array }> => {
    // ∂(mean over the unit's positions)/∂y: 1/per on the unit's positions, 0 elsewhere.
    const seed = (ys: Float32Array) => new Float32Array(ys.length).fill(units / ys.length, (unit * ys.length) / units, ((unit + 1) * ys.length) / units);
    const r = await inputGradient(model, img, [1, c, h, w], value, withGrad ? seed : undefined);
    const per = r.y.length / units;
    let a = 0;
    for (let i = 0; i < per; i++) a += r.y[unit * per + i];
    return { a: a / per, g: r.dx };
  };

  const start = (await evaluate(x, false)).a;
  const history: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const dy = jitter ? rng.int(2 * jitter + 1) - jitter : 0;
    const dx = jitter ? rng.int(2 * jitter + 1) - jitter : 0;
    const { a, g } = await evaluate(roll(x, c, h, w, dy, dx), true);
    const grad = roll(g!, c, h, w, -dy, -dx);
    let mean = 0;
    for (let i = 0; i < size; i++) mean += Math.abs(grad[i]);
    mean /= size;
    const k = mean > 0 ? (rate * (hi - lo)) / mean : 0;
    for (let i = 0; i < size; i++) x[i] = center + (1 - decay) * (x[i] + k * grad[i] - center);
    if (blurSigma > 0 && step % blurEvery === 0) blur(x, c, h, w, blurSigma);
    clip(x, lo, hi);
    history.push(a);
    options.onStep?.(step, a);
  }
  const end = (await evaluate(x, false)).a;
  return { value, unit, objective, start, end, history, image: x, shape: [c, h, w] };
}

/**
 * The image of a {@link MaximizeResult} as a picture: contrast-normalized, RGB for 3 channels,
 * else one gray tile per channel, upscaled by default to about 128 pixels wide.
 */
export function maximizedImage(result: MaximizeResult, grid: GridOptions = {}): Image {
  const [c, h, w] = result.shape;
  const o = { scale: Math.max(1, Math.round(128 / w)), ...grid };
  return c === 3 ? tileGrid(result.image, 1, 3, h, w, o) : tileGrid(result.image, c, 1, h, w, o);
}

/** What {@link inputGradient} returns. */
export interface InputGradient {
  /** The value read, as its backend laid it out (e.g. [N, K] scores). */
  readonly y: Float32Array;
  /** The value's shape. */
  readonly shape: readonly number[];
  /** ∂(Σ seed·y)/∂x, shaped like the input; absent without a seed. */
  readonly dx?: Float32Array;
}

/**
 * One eval-mode forward pass of `model` on the input batch `x` (shape `xShape`, NCHW) that reads
 * `value`, and, when `seed` is given, one backward pass seeded at `value` with `seed(y)` (∂C/∂y
 * of whatever objective the caller maximizes) that returns ∂C/∂x. The tensors it makes are
 * disposed before it returns; the arrays it returns are the caller's. Shared by activation
 * maximization and the fooling images and adversarial attacks of src/fool/.
 */
export async function inputGradient(
  model: Model,
  x: Float32Array,
  xShape: readonly number[],
  value: string,
  seed?: (y: Float32Array) => Float32Array,
): Promise<InputGradient> {
  const input = model.inputs[0];
  const xt = model.backend.tensor(x, [...xShape]);
  const run = model.forward({ [input.name]: xt }, { mode: 'eval', forBackward: seed !== undefined });
  try {
    const yt = run.get(value);
    const y = Float32Array.from(await yt.read());
    if (!seed) return { y, shape: yt.shape };
    const dy = model.backend.tensor(seed(y), yt.shape);
    const grads = run.backward({ seeds: { [value]: dy }, inputs: [input.name] });
    dy.dispose();
    const dx = Float32Array.from(await grads.inputs.get(input.name)!.read());
    grads.dispose();
    return { y, shape: yt.shape, dx };
  } finally {
    run.dispose();
    xt.dispose();
  }
}

function check(v: number, name: string, ok: (v: number) => boolean): number {
  if (!ok(v)) throw new HubelError('attribute', `maximize: bad ${name} ${v}`);
  return v;
}

function clip(x: Float32Array, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
}

/** Shifts each channel by (dy, dx) pixels, wrapping around. Returns a new array. */
function roll(x: Float32Array, c: number, h: number, w: number, dy: number, dx: number): Float32Array {
  if (dy === 0 && dx === 0) return Float32Array.from(x);
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < h; r++) {
      const rr = (((r + dy) % h) + h) % h;
      for (let col = 0; col < w; col++) out[(ch * h + rr) * w + ((((col + dx) % w) + w) % w)] = x[(ch * h + r) * w + col];
    }
  }
  return out;
}

/** Separable Gaussian blur of each channel in place, taps to 3σ, borders clamped. */
function blur(x: Float32Array, c: number, h: number, w: number, sigma: number): void {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = taps.reduce((a, b) => a + b, 0);
  for (let i = 0; i < taps.length; i++) taps[i] /= total;
  const tmp = new Float32Array(h * w);
  for (let ch = 0; ch < c; ch++) {
    const o = ch * h * w;
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        let s = 0;
        for (let t = -radius; t <= radius; t++) s += taps[t + radius] * x[o + r * w + Math.min(w - 1, Math.max(0, col + t))];
        tmp[r * w + col] = s;
      }
    }
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        let s = 0;
        for (let t = -radius; t <= radius; t++) s += taps[t + radius] * tmp[Math.min(h - 1, Math.max(0, r + t)) * w + col];
        x[o + r * w + col] = s;
      }
    }
  }
}
