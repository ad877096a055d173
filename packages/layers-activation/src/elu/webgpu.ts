// ELU on WebGPU: y = x (x > 0) or α·(eˣ − 1); dx = dy·(x > 0 ? 1 : y + α). WGSL has no expm1:
// eˣ − 1 loses relative accuracy for |x| ≪ 1 but stays within one ulp of 1 absolutely.
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Elu } from './definition.js';

export const eluWebGpu = defineKernel(Elu, 'webgpu', {
  forward({ backend: { blocks }, attrs: { alpha }, inputs: [x] }) {
    return { outputs: [blocks.map({ name: 'elu', expr: 'select(s0 * (exp(min(a, 0.0)) - 1.0), a, a > 0.0)', inputs: [x], scalars: [alpha] })] };
  },
  backward({ backend: { blocks }, attrs: { alpha }, inputs: [x], outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.map({ name: 'elu.backward', expr: 'select(c * (b + s0), c, a > 0.0)', inputs: [x, y, dy], scalars: [alpha] })] };
  },
});
