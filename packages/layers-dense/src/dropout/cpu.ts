// Dropout on the CPU: in training, mask_i = 1/(1 − ratio) with probability 1 − ratio (one uniform
// draw per value from the kernel's rng, in order), else 0; y = x ⊙ mask and dx = dy ⊙ mask with
// the saved mask. In eval, y = x and dx = dy.
import type {} from '@hubel/backend-cpu';
import { defineKernel, type Tensor } from '@hubel/core';
import { Dropout } from './definition.js';

export const dropoutCpu = defineKernel(Dropout, 'cpu', {
  forward({ backend, attrs: { ratio }, inputs: [x], mode, rng }) {
    if (mode === 'eval' || ratio === 0) return { outputs: [backend.ops.copy(x)] };
    const mask = backend.alloc(x.shape);
    const m = backend.data(mask);
    const keep = 1 / (1 - ratio);
    for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < ratio ? 0 : keep;
    return { outputs: [backend.blocks.mul(x, mask)], saved: { mask } };
  },

  backward({ backend, saved, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const mask = saved.mask as Tensor | undefined;
    return { dInputs: [mask ? backend.blocks.mul(dy, mask) : backend.ops.copy(dy)] };
  },
});
