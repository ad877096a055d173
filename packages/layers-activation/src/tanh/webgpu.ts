// Tanh on WebGPU: y = sign(x)·(1 − t)/(1 + t) with t = e^(−2|x|) ≤ 1, which cannot overflow
// (a builtin tanh may be computed as (e^2x − 1)/(e^2x + 1) and give NaN for large x);
// dx = dy·(1 − y²) from the saved output.
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Tanh } from './definition.js';

export const tanhWebGpu = defineKernel(Tanh, 'webgpu', {
  forward({ backend: { blocks }, inputs: [x] }) {
    return { outputs: [blocks.map({ name: 'tanh', expr: 'let t = exp(-2.0 * abs(a)); return sign(a) * (1.0 - t) / (1.0 + t);', inputs: [x] })] };
  },
  backward({ backend: { blocks }, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.map({ name: 'tanh.backward', expr: 'b * (1.0 - a * a)', inputs: [y, dy] })] };
  },
});
