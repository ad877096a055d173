// ReLU on the CPU: y = max(0, x); dx = dy·[x > 0] (the subgradient at 0 is taken as 0). The
// loops are the backend's relu blocks (shared with its WebAssembly kernels): branch-free,
// y = x·[x > 0] + 0 (the + 0 turns −0 into 0), since inputs' signs are close to random and a
// branch mispredicts half the time (bench ACT1). A NaN input gives NaN, and so does −∞ (∞·0):
// both mean an earlier layer already failed.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Relu } from './definition.js';

export const reluCpu = defineKernel(Relu, 'cpu', {
  forward({ backend, inputs: [x] }) {
    return { outputs: [backend.blocks.relu(x)] };
  },
  backward({ backend, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [backend.blocks.reluBackward(x, dy)] };
  },
});
