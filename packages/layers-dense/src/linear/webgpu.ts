// Linear on WebGPU: y = x·Wᵀ + b through the backend's tiled GEMM with a column bias.
// dx = dy·W, dW = dyᵀ·x, dB = Σ_n dy (the reduce block).
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Linear } from './definition.js';

export const linearWebGpu = defineKernel(Linear, 'webgpu', {
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
