// MaxPool on WebGPU: the backend's window block over x viewed as [N·C, (D,) (H,) W]: y = max over
// each window's in-image taps, keeping the argmax (first maximum in row-major window order);
// backward gathers dy into dx at each window's argmax. Indices (when bound) turns the in-plane
// argmax into ONNX's flat index into x (window block's windowIndices).
import { windowView } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { MaxPool } from './definition.js';

export const maxPoolWebGpu = defineKernel(MaxPool, 'webgpu', {
  forward({ backend, attrs, inputs: [x], outputsWanted }) {
    const { blocks } = backend;
    const axes = windowAxes(attrs, x.shape);
    const view = windowView(x.shape[0] * x.shape[1], axes);
    const outShape = windowOutputShape(x.shape, axes);
    const { y, argmax } = blocks.window(x, view, 'max', outShape);
    // An unbound Indices output gets a cheap placeholder of the right shape.
    const indices = outputsWanted?.[1] === false ? backend.alloc(outShape, 'int32') : blocks.windowIndices(argmax!, view, attrs.storageOrder === 1);
    return { outputs: [y, indices], saved: { argmax } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowBackward(dy, windowView(x.shape[0] * x.shape[1], windowAxes(attrs, x.shape)), 'max', x.shape, argmax)] };
  },
});
