// Linear on the CPU: y = x·Wᵀ + b through the backend's shared GEMM.
// dx = dy·W, dW = dyᵀ·x, dB = Σ_n dy.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Linear } from './definition.js';

export const linearCpu = defineKernel(Linear, 'cpu', {
  forward({ backend: { blocks }, inputs: [x], params: { W, B } }) {
    return { outputs: [blocks.gemm(x, W, { transB: true, colBias: B })] };
  },
  backward({ backend: { blocks }, inputs: [x], params: { W, B }, dOutputs: [dy], wants }) {
    return {
      dInputs: [wants.inputs[0] ? blocks.gemm(dy, W) : undefined],
      dParams: wants.params ? { W: blocks.gemm(dy, x, { transA: true }), B: B ? blocks.sum(dy, { axes: [0] }) : undefined } : {},
    };
  },
});
