import { HubelError } from './errors.js';
import type { Rng } from './rng.js';
import { sizeOf, type Shape } from './tensor.js';

/** The named initializers {@link initialize} knows, in the order error messages list them. */
export const INIT_NAMES = ['zeros', 'ones', 'uniform', 'normal', 'xavierUniform', 'xavierNormal', 'heUniform', 'heNormal', 'lecunUniform'] as const;

/**
 * Weight initializers. Fans follow the usual convention for weights shaped
 * `[out, in, ...kernel]`: fanIn = in·∏kernel, fanOut = out·∏kernel.
 */
export type InitName = (typeof INIT_NAMES)[number];

/**
 * How a parameter is initialized: a named initializer, a constant, a uniform or normal
 * distribution, or a function of the shape and a seeded {@link Rng} returning `sizeOf(shape)` values.
 */
export type InitSpec =
  | InitName
  /** Every element set to `value`. */
  | { readonly kind: 'constant'; readonly value: number }
  /** Uniform in [low, high). */
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  /** Normal with mean `mean` (default 0) and standard deviation `std`. */
  | { readonly kind: 'normal'; readonly mean?: number; readonly std: number }
  | ((shape: Shape, rng: Rng) => ArrayLike<number>);

/** Fan-in and fan-out of a weight shaped `[out, in, ...kernel]` (a 1-D shape counts its length as both). */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const receptive = sizeOf(shape.slice(2));
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Draws initial values for a parameter of `shape` (float64 host array). */
export function initialize(spec: InitSpec, shape: Shape, rng: Rng): Float64Array {
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  if (typeof spec === 'function') {
    const v = spec(shape, rng);
    if (v.length !== n) throw new HubelError('shape', `initializer returned ${v.length} values for shape [${shape.join(', ')}] (${n} expected)`);
    out.set(v);
    return out;
  }
  const { fanIn, fanOut } = fans(shape);
  const uni = (a: number) => {
    for (let i = 0; i < n; i++) out[i] = rng.range(-a, a);
  };
  const nor = (mean: number, std: number) => {
    for (let i = 0; i < n; i++) out[i] = mean + std * rng.normal();
  };
  if (typeof spec === 'object') {
    if (spec.kind === 'constant') out.fill(spec.value);
    else if (spec.kind === 'uniform') for (let i = 0; i < n; i++) out[i] = rng.range(spec.low, spec.high);
    else nor(spec.mean ?? 0, spec.std);
    return out;
  }
  switch (spec) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'uniform':
      uni(0.05);
      break;
    case 'normal':
      nor(0, 0.01);
      break;
    case 'xavierUniform':
      uni(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'xavierNormal':
      nor(0, Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case 'heUniform':
      uni(Math.sqrt(6 / fanIn));
      break;
    case 'heNormal':
      nor(0, Math.sqrt(2 / fanIn));
      break;
    case 'lecunUniform':
      uni(Math.sqrt(3 / fanIn));
      break;
    default:
      throw new HubelError('attribute', `unknown initializer '${String(spec)}' (known: ${INIT_NAMES.join(', ')})`);
  }
  return out;
}
