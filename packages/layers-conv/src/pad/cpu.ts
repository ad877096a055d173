// Pad on the CPU through the backend's pad block: y[o] = x[src(o)] or the constant, and
// dx[s] = Σ_{o: src(o) = s} dy[o], so reflect/edge borders add their gradient into the
// mirrored / border source elements.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Pad } from './definition.js';

export const padCpu = defineKernel(Pad, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    return { outputs: [blocks.pad(x, attrs.pads, attrs.mode, attrs.value)] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.padBackward(dy, x.shape, attrs.pads, attrs.mode) : undefined] };
  },
});
