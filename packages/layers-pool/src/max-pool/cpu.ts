// MaxPool on the CPU: y[n, c, o] = max over the window's in-image taps t of x[n, c, t]; forward
// keeps argmax[n, c, o] (the flat index of the first maximum in row-major window order) and
// backward routes dx[argmax[i]] += dy[i]. Loops: backend-cpu's window block (windowMax, scatterAdd).
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { MaxPool } from './definition.js';

export const maxPoolCpu = defineKernel(MaxPool, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axes = windowAxes(attrs, x.shape);
    const { y, argmax } = blocks.windowMax(x, blocks.windowPlan(axes), windowOutputShape(x.shape, axes));
    return { outputs: [y], saved: { argmax } };
  },
  backward({ backend: { blocks }, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.scatterAdd(dy, argmax, x.shape) : undefined] };
  },
});
