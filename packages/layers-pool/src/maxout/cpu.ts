// Maxout on the CPU: y[n, g, s] = max_{j<k} x[n, g·k + j, s]; dx = dy at the arg-max (first, i.e.
// lowest channel, on ties), 0 elsewhere. Each group is a k×S plane pooled by one k×1 window per
// column, so it runs backend-cpu's window block (windowMax, scatterAdd) like MaxPool.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Maxout, maxoutOutputShape } from './definition.js';

export const maxoutCpu = defineKernel(Maxout, 'cpu', {
  forward({ backend: { blocks }, attrs: { groupSize: k }, inputs: [x] }) {
    const s = x.shape.slice(2).reduce((p, d) => p * d, 1);
    const plan = blocks.windowPlan([
      { inSize: k, outSize: 1, kernel: k, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 },
      { inSize: s, outSize: s, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 },
    ]);
    const { y, argmax } = blocks.windowMax(x, plan, maxoutOutputShape(k, x.shape));
    return { outputs: [y], saved: { argmax } };
  },
  backward({ backend: { blocks }, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.scatterAdd(dy, argmax, x.shape) : undefined] };
  },
});
