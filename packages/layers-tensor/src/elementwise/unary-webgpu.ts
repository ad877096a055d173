// Unary elementwise ops on WebGPU, one elementwise map each way:
// Exp y = eˣ, dx = dy·y · Log y = ln x, dx = dy/x · Neg y = −x, dx = −dy · Abs y = |x|,
// dx = dy·sign(x) · Sqrt y = √x, dx = dy/(2y) · Identity y = x, dx = dy (copies) ·
// Softplus y = max(x, 0) + log1p(e^−|x|), dx = dy/(1 + e^−x) ·
// Clip y = min(max(x, lo), hi), dx = dy where lo < x < hi (0 where a bound is active).
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Abs, Clip, Exp, Identity, Log, Neg, Softplus, Sqrt, type UnaryOp } from './unary.js';

type Mapped = Exclude<UnaryOp, 'Identity'>;

// Forward f(a = x); backward f(a = x, b = y, c = dy).
// WGSL has no log1p: log1p(u) = u·ln(w)/(w − 1) with w = 1 + u (exact to a few ulps; u when
// w rounds to 1), so that y ≈ eˣ keeps its relative precision for very negative x.
const SOFTPLUS = `let u = exp(-abs(a));
  let w = 1.0 + u;
  return max(a, 0.0) + select(u * log(w) / (w - 1.0), u, w == 1.0);`;
const FORWARD: Record<Mapped, string> = { Exp: 'exp(a)', Log: 'log(a)', Neg: '-a', Abs: 'abs(a)', Sqrt: 'sqrt(a)', Softplus: SOFTPLUS };
const BACKWARD: Record<Mapped, string> = {
  Exp: 'c * b',
  Log: 'c / a',
  Neg: '-c',
  Abs: 'select(select(0.0, -c, a < 0.0), c, a > 0.0)',
  Sqrt: 'c / (2.0 * b)',
  Softplus: 'c / (1.0 + exp(-a))',
};

function unaryKernel<D extends typeof Exp>(layer: D, op: Mapped) {
  const name = op.toLowerCase();
  return defineKernel(layer, 'webgpu', {
    forward({ backend: { blocks }, inputs: [x] }) {
      return { outputs: [blocks.map({ name, expr: FORWARD[op], inputs: [x] })] };
    },
    backward({ backend: { blocks }, inputs: [x], outputs: [y], dOutputs: [dy], wants }) {
      if (!wants.inputs[0]) return { dInputs: [undefined] };
      return { dInputs: [blocks.map({ name: `${name}.backward`, expr: BACKWARD[op], inputs: [x, y, dy] })] };
    },
  });
}

export const expWebGpu = unaryKernel(Exp, 'Exp');
export const logWebGpu = unaryKernel(Log, 'Log');
export const negWebGpu = unaryKernel(Neg, 'Neg');
export const absWebGpu = unaryKernel(Abs, 'Abs');
export const sqrtWebGpu = unaryKernel(Sqrt, 'Sqrt');
export const softplusWebGpu = unaryKernel(Softplus, 'Softplus');

export const identityWebGpu = defineKernel(Identity, 'webgpu', {
  forward({ backend, inputs: [x] }) {
    return { outputs: [backend.ops.copy(x)] };
  },
  backward({ backend, dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? backend.ops.copy(dy) : undefined] };
  },
});

// The bounds travel as scalars s0 = lo, s1 = hi (±∞ when absent). Comparisons rather than
// min/max keep a NaN input NaN (WGSL leaves min/max of NaN undefined) and give hi when lo > hi.
export const clipWebGpu = defineKernel(Clip, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const expr = 'var y = a; if (y < s0) { y = s0; } if (y > s1) { y = s1; } return y;';
    return { outputs: [blocks.map({ name: 'clip', expr, inputs: [x], scalars: [attrs.min ?? -Infinity, attrs.max ?? Infinity] })] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const dx = blocks.map({ name: 'clip.backward', expr: 'select(0.0, b, a > s0 && a < s1)', inputs: [x, dy], scalars: [attrs.min ?? -Infinity, attrs.max ?? Infinity] });
    return { dInputs: [dx] };
  },
});
