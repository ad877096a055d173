// AveragePool on the CPU: y[n, c, o] = Σ_{t in window o, in image} x[n, c, t] / D(o), with D the
// taps in the padded extent (countIncludePad) or in the image; dx[t] = Σ_{o ∋ t} dy[o] / D(o).
// Loops: backend-cpu's window block (windowSum, windowSumBackward).
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { AveragePool } from './definition.js';

export const averagePoolCpu = defineKernel(AveragePool, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axes = windowAxes(attrs, x.shape);
    const divisor = attrs.countIncludePad ? 'padded' : 'image';
    return { outputs: [blocks.windowSum(x, blocks.windowPlan(axes), divisor, windowOutputShape(x.shape, axes))] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const plan = blocks.windowPlan(windowAxes(attrs, x.shape));
    return { dInputs: [blocks.windowSumBackward(dy, plan, attrs.countIncludePad ? 'padded' : 'image', x.shape)] };
  },
});
