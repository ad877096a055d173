// GlobalMaxPool on WebGPU: one whole-plane window per [N, C] through the window block;
// dx = dy at the first arg-max, 0 elsewhere.
import { windowView } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { globalAxes, globalOutputShape } from '../shared/global.js';
import { GlobalMaxPool } from './definition.js';

export const globalMaxPoolWebGpu = defineKernel(GlobalMaxPool, 'webgpu', {
  forward({ backend: { blocks }, inputs: [x] }) {
    const { y, argmax } = blocks.window(x, windowView(x.shape[0] * x.shape[1], globalAxes(x.shape)), 'max', globalOutputShape(x.shape));
    return { outputs: [y], saved: { argmax } };
  },
  backward({ backend: { blocks }, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowBackward(dy, windowView(x.shape[0] * x.shape[1], globalAxes(x.shape)), 'max', x.shape, argmax)] };
  },
});
