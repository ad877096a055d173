// Sigmoid on the CPU: y = 1 / (1 + e^−x); dx = dy·y·(1 − y), from the saved output.
// For x < 0 it evaluates e^x / (1 + e^x) so that e^−x never overflows.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Sigmoid } from './definition.js';

export const sigmoidCpu = defineKernel(Sigmoid, 'cpu', {
  forward({ backend, inputs: [x] }) {
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), y = backend.data(out);
    for (let i = 0; i < y.length; i++) {
      const v = xs[i];
      if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
      else {
        const e = Math.exp(v);
        y[i] = e / (1 + e);
      }
    }
    return { outputs: [out] };
  },
  backward({ backend, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const out = backend.alloc(y.shape);
    const ys = backend.data(y), g = backend.data(dy), dx = backend.data(out);
    for (let i = 0; i < dx.length; i++) dx[i] = g[i] * ys[i] * (1 - ys[i]);
    return { dInputs: [out] };
  },
});
