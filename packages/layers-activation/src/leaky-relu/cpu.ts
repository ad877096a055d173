// Leaky ReLU on the CPU: y = x (x ≥ 0) or α·x (x < 0); dx = dy·(x > 0 ? 1 : α).
// The slope is read from a two-entry table indexed by the sign test instead of branching:
// signs are close to random, and a mispredicted branch per element costs ~4× (see relu/cpu.ts).
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { LeakyRelu } from './definition.js';

export const leakyReluCpu = defineKernel(LeakyRelu, 'cpu', {
  forward({ backend, attrs: { alpha }, inputs: [x] }) {
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), y = backend.data(out);
    const slope = Float64Array.of(alpha, 1);
    for (let i = 0; i < y.length; i++) y[i] = xs[i] * slope[+(xs[i] >= 0)];
    return { outputs: [out] };
  },
  backward({ backend, attrs: { alpha }, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), g = backend.data(dy), dx = backend.data(out);
    const slope = Float64Array.of(alpha, 1);
    for (let i = 0; i < dx.length; i++) dx[i] = g[i] * slope[+(xs[i] > 0)];
    return { dInputs: [out] };
  },
});
