// Dropout on WebGPU: the mask is drawn on the host from the kernel's rng exactly as the CPU
// kernel draws it (one uniform per value, in order: 0 with probability ratio, else 1/(1 − ratio)),
// then uploaded, so both backends drop the same values for the same seed. y = x ⊙ mask,
// dx = dy ⊙ mask; in eval y = x.
import type {} from '@hubel/backend-webgpu';
import { defineKernel, type Tensor } from '@hubel/core';
import { Dropout } from './definition.js';

export const dropoutWebGpu = defineKernel(Dropout, 'webgpu', {
  forward({ backend, attrs: { ratio }, inputs: [x], mode, rng }) {
    if (mode === 'eval' || ratio === 0) return { outputs: [backend.ops.copy(x)] };
    const m = new Float32Array(x.size);
    const keep = 1 / (1 - ratio);
    for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < ratio ? 0 : keep;
    const mask = backend.tensor(m, x.shape);
    return { outputs: [backend.blocks.mul(x, mask)], saved: { mask } };
  },

  backward({ backend, saved, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const mask = saved.mask as Tensor | undefined;
    return { dInputs: [mask ? backend.blocks.mul(dy, mask) : backend.ops.copy(dy)] };
  },
});
