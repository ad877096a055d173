// MaxPool on WebGPU: the backend's window block over x viewed as [N·C, (D,) (H,) W]: y = max over
// each window's in-image taps, keeping the argmax (first maximum in row-major window order);
// backward gathers dy into dx at each window's argmax.
import { windowView } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { MaxPool } from './definition.js';

export const maxPoolWebGpu = defineKernel(MaxPool, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axes = windowAxes(attrs, x.shape);
    const { y, argmax } = blocks.window(x, windowView(x.shape[0] * x.shape[1], axes), 'max', windowOutputShape(x.shape, axes));
    return { outputs: [y], saved: { argmax } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowBackward(dy, windowView(x.shape[0] * x.shape[1], windowAxes(attrs, x.shape)), 'max', x.shape, argmax)] };
  },
});
