// SumPool on the CPU: y[n, c, o] = Σ_{t in window o, in image} x[n, c, t]; dx[t] = Σ_{o ∋ t} dy[o].
// Loops: backend-cpu's window block (windowSum / windowSumBackward with divisor 'one').
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { SumPool } from './definition.js';

export const sumPoolCpu = defineKernel(SumPool, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axes = windowAxes(attrs, x.shape);
    return { outputs: [blocks.windowSum(x, blocks.windowPlan(axes), 'one', windowOutputShape(x.shape, axes))] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowSumBackward(dy, blocks.windowPlan(windowAxes(attrs, x.shape)), 'one', x.shape)] };
  },
});
