// Flatten on the CPU: a copy under a new shape; backward reshapes dy back to x's shape.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Flatten } from './definition.js';

export const flattenCpu = defineKernel(Flatten, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    return { outputs: [blocks.reshape(x, Flatten.inferShapes(attrs, [x.shape])[0])] };
  },
  backward({ backend: { blocks }, inputs: [x], dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.reshape(dy, x.shape) : undefined] };
  },
});
