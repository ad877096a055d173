// Tanh on the CPU: y = tanh(x); dx = dy·(1 − y²), from the saved output.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Tanh } from './definition.js';

export const tanhCpu = defineKernel(Tanh, 'cpu', {
  forward({ backend, inputs: [x] }) {
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), y = backend.data(out);
    for (let i = 0; i < y.length; i++) y[i] = Math.tanh(xs[i]);
    return { outputs: [out] };
  },
  backward({ backend, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const out = backend.alloc(y.shape);
    const ys = backend.data(y), g = backend.data(dy), dx = backend.data(out);
    for (let i = 0; i < dx.length; i++) dx[i] = g[i] * (1 - ys[i] * ys[i]);
    return { dInputs: [out] };
  },
});
