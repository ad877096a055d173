// Flatten on WebGPU: a buffer copy under the new shape; backward copies dy back to x's shape.
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Flatten } from './definition.js';

export const flattenWebGpu = defineKernel(Flatten, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    return { outputs: [blocks.reshape(x, Flatten.inferShapes(attrs, [x.shape])[0])] };
  },
  backward({ backend: { blocks }, inputs: [x], dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.reshape(dy, x.shape) : undefined] };
  },
});
