// GlobalMaxPool on the CPU: y[n, c] = max_s x[n, c, s]; dx = dy at the first arg-max, 0 elsewhere.
// One whole-plane window through backend-cpu's window block (windowMax, scatterAdd).
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { globalAxes, globalOutputShape } from '../shared/global.js';
import { GlobalMaxPool } from './definition.js';

export const globalMaxPoolCpu = defineKernel(GlobalMaxPool, 'cpu', {
  forward({ backend: { blocks }, inputs: [x] }) {
    const { y, argmax } = blocks.windowMax(x, blocks.windowPlan(globalAxes(x.shape)), globalOutputShape(x.shape));
    return { outputs: [y], saved: { argmax } };
  },
  backward({ backend: { blocks }, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.scatterAdd(dy, argmax, x.shape) : undefined] };
  },
});
