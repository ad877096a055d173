// Softmax on the CPU over x viewed as [outer, L, inner] with L the normalized axis:
// y = e^{log-softmax(x)} through the backend's log-softmax block (max-subtracted: no overflow);
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
    // The backend's log-softmax block, then e^· in place.
    const out = backend.blocks.logSoftmax(x, normalizeAxis(attrs.axis, x.shape.length));
    const y = backend.data(out);
    for (let i = 0; i < y.length; i++) y[i] = Math.exp(y[i]);
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
