// ReLU on WebGPU: y = max(0, x); dx = dy·[x > 0] (subgradient 0 at 0), as elementwise maps.
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Relu } from './definition.js';

export const reluWebGpu = defineKernel(Relu, 'webgpu', {
  forward({ backend: { blocks }, inputs: [x] }) {
    return { outputs: [blocks.map({ name: 'relu', expr: 'max(a, 0.0)', inputs: [x] })] };
  },
  backward({ backend: { blocks }, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.map({ name: 'relu.backward', expr: 'select(0.0, b, a > 0.0)', inputs: [x, dy] })] };
  },
});
