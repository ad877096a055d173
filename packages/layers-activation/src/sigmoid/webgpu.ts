// Sigmoid on WebGPU: y = 1 / (1 + e^−x), evaluated as e^x / (1 + e^x) for x < 0 so that the
// exponential never overflows; dx = dy·y·(1 − y) from the saved output.
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Sigmoid } from './definition.js';

export const sigmoidWebGpu = defineKernel(Sigmoid, 'webgpu', {
  forward({ backend: { blocks }, inputs: [x] }) {
    return { outputs: [blocks.map({ name: 'sigmoid', expr: 'let e = exp(-abs(a)); return select(e / (1.0 + e), 1.0 / (1.0 + e), a >= 0.0);', inputs: [x] })] };
  },
  backward({ backend: { blocks }, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.map({ name: 'sigmoid.backward', expr: 'b * a * (1.0 - a)', inputs: [y, dy] })] };
  },
});
