// Softmax on the CPU over x viewed as [outer, L, inner] with L the normalized axis:
// y = e^{x − max} / Σ e^{x − max} (subtracting the max keeps e^· ≤ 1: no overflow);
// dx = y ⊙ (dy − Σ_L dy ⊙ y), the softmax Jacobian diag(y) − y·yᵀ applied to dy.
import type {} from '@hubel/backend-cpu';
import { defineKernel, sizeOf, type Shape } from '@hubel/core';
import { Softmax, normalizeAxis } from './definition.js';

function runs(shape: Shape, axis: number): [number, number, number] {
  const k = normalizeAxis(axis, shape.length);
  return [sizeOf(shape.slice(0, k)), shape[k], sizeOf(shape.slice(k + 1))];
}

export const softmaxCpu = defineKernel(Softmax, 'cpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const [outer, len, inner] = runs(x.shape, attrs.axis);
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), y = backend.data(out);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        const end = base + len * inner;
        let max = -Infinity;
        for (let j = base; j < end; j += inner) if (xs[j] > max) max = xs[j];
        let sum = 0;
        for (let j = base; j < end; j += inner) {
          const e = Math.exp(xs[j] - max);
          y[j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = base; j < end; j += inner) y[j] *= inv;
      }
    }
    return { outputs: [out] };
  },
  backward({ backend, attrs, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const [outer, len, inner] = runs(y.shape, attrs.axis);
    const out = backend.alloc(y.shape);
    const ys = backend.data(y), g = backend.data(dy), dx = backend.data(out);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        const end = base + len * inner;
        let dot = 0;
        for (let j = base; j < end; j += inner) dot += g[j] * ys[j];
        for (let j = base; j < end; j += inner) dx[j] = ys[j] * (g[j] - dot);
      }
    }
    return { dInputs: [out] };
  },
});
