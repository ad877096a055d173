// Unary elementwise ops on the CPU, forward and backward side by side:
// Exp y = eˣ, dx = dy·y · Log y = ln x, dx = dy/x · Neg y = −x, dx = −dy · Abs y = |x|,
// dx = dy·sign(x) · Sqrt y = √x, dx = dy/(2y) · Identity y = x, dx = dy ·
// Softplus y = ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|) (no overflow), dx = dy·σ(x) = dy/(1 + e^−x) ·
// Clip y = min(max(x, lo), hi), dx = dy where lo < x < hi (0 where a bound is active).
import type {} from '@hubel/backend-cpu';
import { defineKernel, type Tensor } from '@hubel/core';
import { Abs, Clip, Exp, Identity, Log, Neg, Softplus, Sqrt, type UnaryOp } from './unary.js';

type F = Float32Array | Float64Array;

function forward(op: UnaryOp, x: F, y: F): void {
  const n = y.length;
  switch (op) {
    case 'Exp': for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]); break;
    case 'Log': for (let i = 0; i < n; i++) y[i] = Math.log(x[i]); break;
    case 'Neg': for (let i = 0; i < n; i++) y[i] = -x[i]; break;
    case 'Abs': for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]); break;
    case 'Sqrt': for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]); break;
    case 'Identity': y.set(x); break;
    case 'Softplus': for (let i = 0; i < n; i++) { const v = x[i]; y[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); } break;
  }
}

function backward(op: UnaryOp, x: F, y: F, g: F, dx: F): void {
  const n = dx.length;
  switch (op) {
    case 'Exp': for (let i = 0; i < n; i++) dx[i] = g[i] * y[i]; break;
    case 'Log': for (let i = 0; i < n; i++) dx[i] = g[i] / x[i]; break;
    case 'Neg': for (let i = 0; i < n; i++) dx[i] = -g[i]; break;
    case 'Abs': for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0; break;
    case 'Sqrt': for (let i = 0; i < n; i++) dx[i] = g[i] / (2 * y[i]); break;
    case 'Identity': dx.set(g); break;
    case 'Softplus': for (let i = 0; i < n; i++) dx[i] = g[i] / (1 + Math.exp(-x[i])); break;
  }
}

function unaryKernel<D extends typeof Exp>(layer: D, op: UnaryOp) {
  return defineKernel(layer, 'cpu', {
    forward({ backend, inputs: [x] }) {
      const out = backend.alloc(x.shape);
      forward(op, backend.data(x), backend.data(out));
      return { outputs: [out] };
    },
    backward({ backend, inputs: [x], outputs: [y], dOutputs: [dy], wants }) {
      if (!wants.inputs[0]) return { dInputs: [undefined] };
      const out = backend.alloc(x.shape);
      backward(op, backend.data(x), backend.data(y), backend.data(dy), backend.data(out));
      return { dInputs: [out] };
    },
  });
}

export const expCpu = unaryKernel(Exp, 'Exp');
export const logCpu = unaryKernel(Log, 'Log');
export const negCpu = unaryKernel(Neg, 'Neg');
export const absCpu = unaryKernel(Abs, 'Abs');
export const sqrtCpu = unaryKernel(Sqrt, 'Sqrt');
export const identityCpu = unaryKernel(Identity, 'Identity');
export const softplusCpu = unaryKernel(Softplus, 'Softplus');

function bounds(a: { min?: number; max?: number }): [number, number] {
  return [a.min ?? -Infinity, a.max ?? Infinity];
}

export const clipCpu = defineKernel(Clip, 'cpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const [lo, hi] = bounds(attrs);
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), y = backend.data(out);
    for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(xs[i], lo), hi);
    return { outputs: [out] };
  },
  backward({ backend, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const [lo, hi] = bounds(attrs);
    const out: Tensor = backend.alloc(x.shape);
    const xs = backend.data(x), g = backend.data(dy), dx = backend.data(out);
    for (let i = 0; i < dx.length; i++) dx[i] = xs[i] > lo && xs[i] < hi ? g[i] : 0;
    return { dInputs: [out] };
  },
});
