// GlobalAveragePool on WebGPU: one whole-plane window per [N, C] through the window block:
// y = Σ_s x / S; dx = dy / S.
import { windowView } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { globalAxes, globalOutputShape } from '../shared/global.js';
import { GlobalAveragePool } from './definition.js';

export const globalAveragePoolWebGpu = defineKernel(GlobalAveragePool, 'webgpu', {
  forward({ backend: { blocks }, inputs: [x] }) {
    return { outputs: [blocks.window(x, windowView(x.shape[0] * x.shape[1], globalAxes(x.shape)), 'avg', globalOutputShape(x.shape)).y] };
  },
  backward({ backend: { blocks }, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowBackward(dy, windowView(x.shape[0] * x.shape[1], globalAxes(x.shape)), 'avg', x.shape)] };
  },
});
