// ELU on the CPU: y = x (x > 0) or α·(eˣ − 1) (x ≤ 0), via expm1 for accuracy near 0;
// dx = dy·(x > 0 ? 1 : y + α), since d/dx α(eˣ − 1) = α·eˣ = y + α.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Elu } from './definition.js';

export const eluCpu = defineKernel(Elu, 'cpu', {
  forward({ backend, attrs: { alpha }, inputs: [x] }) {
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), y = backend.data(out);
    for (let i = 0; i < y.length; i++) y[i] = xs[i] > 0 ? xs[i] : alpha * Math.expm1(xs[i]);
    return { outputs: [out] };
  },
  backward({ backend, attrs: { alpha }, inputs: [x], outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), ys = backend.data(y), g = backend.data(dy), dx = backend.data(out);
    for (let i = 0; i < dx.length; i++) dx[i] = xs[i] > 0 ? g[i] : g[i] * (ys[i] + alpha);
    return { dInputs: [out] };
  },
});
