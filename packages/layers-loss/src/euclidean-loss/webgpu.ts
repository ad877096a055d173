// Euclidean loss on WebGPU: C = s·½Σ(x − t)² with s = 1/N ('mean') or 1 ('sum'): a difference
// map, the reduce block's sum of squares over every axis, a scale. Backward reads the seed dC
// on the GPU (broadcast as a scalar): ∂C/∂x = dC·s·(x − t), ∂C/∂t = −∂C/∂x.
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { EuclideanLoss } from './definition.js';

const scalar = { div: 1, mod: 1 };

export const euclideanLossWebGpu = defineKernel(EuclideanLoss, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x, t] }) {
    const s = attrs.reduction === 'mean' ? 1 / x.shape[0] : 1;
    const d = blocks.map({ name: 'euclidean.diff', expr: 'a - b', inputs: [x, t] });
    const sq = blocks.reduce(d, { axes: x.shape.map((_, i) => i), op: 'sumsq', outShape: [] });
    const loss = blocks.map({ name: 'euclidean.scale', expr: 's0 * a', inputs: [sq], scalars: [0.5 * s] });
    d.dispose();
    sq.dispose();
    return { outputs: [loss] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x, t], dOutputs: [dC], wants }) {
    const s = attrs.reduction === 'mean' ? 1 / x.shape[0] : 1;
    const seed = { t: dC, broadcast: scalar };
    const dx = wants.inputs[0] ? blocks.map({ name: 'euclidean.dx', expr: 's0 * c * (a - b)', inputs: [x, t, seed], scalars: [s] }) : undefined;
    const dt = wants.inputs[1] ? blocks.map({ name: 'euclidean.dt', expr: 's0 * c * (b - a)', inputs: [x, t, seed], scalars: [s] }) : undefined;
    return { dInputs: [dx, dt] };
  },
});
