// GlobalAveragePool on the CPU: y[n, c] = Σ_s x[n, c, s] / S; dx[n, c, s] = dy[n, c] / S.
// One whole-plane window through backend-cpu's window block (windowSum, divisor 'image').
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { globalAxes, globalOutputShape } from '../shared/global.js';
import { GlobalAveragePool } from './definition.js';

export const globalAveragePoolCpu = defineKernel(GlobalAveragePool, 'cpu', {
  forward({ backend: { blocks }, inputs: [x] }) {
    return { outputs: [blocks.windowSum(x, blocks.windowPlan(globalAxes(x.shape)), 'image', globalOutputShape(x.shape))] };
  },
  backward({ backend: { blocks }, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowSumBackward(dy, blocks.windowPlan(globalAxes(x.shape)), 'image', x.shape)] };
  },
});
