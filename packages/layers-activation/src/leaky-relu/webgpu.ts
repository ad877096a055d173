// Leaky ReLU on WebGPU: y = x (x ≥ 0) or α·x; dx = dy·(x > 0 ? 1 : α). α is a uniform (s0).
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { LeakyRelu } from './definition.js';

export const leakyReluWebGpu = defineKernel(LeakyRelu, 'webgpu', {
  forward({ backend: { blocks }, attrs: { alpha }, inputs: [x] }) {
    return { outputs: [blocks.map({ name: 'leakyRelu', expr: 'select(s0 * a, a, a >= 0.0)', inputs: [x], scalars: [alpha] })] };
  },
  backward({ backend: { blocks }, attrs: { alpha }, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.map({ name: 'leakyRelu.backward', expr: 'select(s0 * b, b, a > 0.0)', inputs: [x, dy], scalars: [alpha] })] };
  },
});
