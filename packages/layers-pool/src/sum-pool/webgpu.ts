// SumPool on WebGPU: the backend's window block: y = Σ in-image taps; dx[t] = Σ_{o ∋ t} dy[o].
import { windowView } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { SumPool } from './definition.js';

export const sumPoolWebGpu = defineKernel(SumPool, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axes = windowAxes(attrs, x.shape);
    return { outputs: [blocks.window(x, windowView(x.shape[0] * x.shape[1], axes), 'sum', windowOutputShape(x.shape, axes)).y] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowBackward(dy, windowView(x.shape[0] * x.shape[1], windowAxes(attrs, x.shape)), 'sum', x.shape)] };
  },
});
