// AveragePool on WebGPU: the backend's window block: y = Σ in-image taps / D, D the taps in the
// padded extent (countIncludePad) or in the image; dx[t] = Σ_{o ∋ t} dy[o] / D(o), as a gather.
import { windowView } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { AveragePool } from './definition.js';

export const averagePoolWebGpu = defineKernel(AveragePool, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axes = windowAxes(attrs, x.shape);
    const view = windowView(x.shape[0] * x.shape[1], axes, 1, attrs.countIncludePad);
    return { outputs: [blocks.window(x, view, 'avg', windowOutputShape(x.shape, axes)).y] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const view = windowView(x.shape[0] * x.shape[1], windowAxes(attrs, x.shape), 1, attrs.countIncludePad);
    return { dInputs: [blocks.windowBackward(dy, view, 'avg', x.shape)] };
  },
});
