// InstanceNormalization on WebGPU, x viewed as N·C rows of S = ∏spatial values: per-row
// statistics with the reduce block over the spatial axes (μ = mean, σ² = Σ(x − μ)²/S, two passes
// like the CPU), then y = scale_c·r·(x − μ) + B_c with r = 1/√(σ² + ε) as one elementwise map
// reading [N, C] row statistics and [C] parameters by broadcast. Backward: Σdy and Σdy·x̂ per
// row by the reduce block; dx = A·dy − E − (x − μ)·G with per-row A = scale·r, E = A·Σdy/S,
// G = A·r·Σ(dy·x̂)/S; dscale = Σ_n Σdy·x̂ and dB = Σ_n Σdy (the reduce block over N).
import { channelBroadcast, type Broadcast } from '@hubel/backend-webgpu';
import { defineKernel, type Shape, type Tensor } from '@hubel/core';
import { InstanceNormalization } from './definition.js';

/** The spatial axes 2 … rank − 1. */
const spatialAxes = (rank: number) => Array.from({ length: rank - 2 }, (_, i) => i + 2);

/** Reads an [N, C] per-row tensor at element i of x: row i / S. */
function rowBroadcast(x: Shape): Broadcast {
  const [n, c] = x;
  return { div: x.slice(2).reduce((p, d) => p * d, 1), mod: n * c };
}

/** WebGPU kernel of `InstanceNormalization`. */
export const instanceNormWebGpu = defineKernel(InstanceNormalization, 'webgpu', {
  forward({ backend, attrs, inputs: [x], params }) {
    // An empty x has nothing to normalize (and the map block reads no empty inputs).
    if (!x.size) return { outputs: [backend.alloc(x.shape)], saved: {} };
    const { blocks } = backend;
    const axes = spatialAxes(x.shape.length);
    const invS = (x.shape[0] * x.shape[1]) / x.size;
    const row = { broadcast: rowBroadcast(x.shape) };
    const ch = { broadcast: channelBroadcast(x.shape) };
    const mean = blocks.reduce(x, { axes, op: 'mean' });
    const centered = blocks.map({ name: 'instanceNorm.center', expr: 'a - b', inputs: [x, { t: mean, ...row }] });
    const sq = blocks.reduce(centered, { axes, op: 'sumsq' });
    centered.dispose();
    const invStd = blocks.map({ name: 'instanceNorm.invStd', expr: 'inverseSqrt(s0 * a + s1)', inputs: [sq], scalars: [invS, attrs.epsilon] });
    sq.dispose();
    const y = blocks.map({
      name: 'instanceNorm.forward',
      expr: 'd * c * (a - b) + e',
      inputs: [x, { t: mean, ...row }, { t: invStd, ...row }, { t: params.scale, ...ch }, { t: params.B, ...ch }],
    });
    return { outputs: [y], saved: { mean, invStd } };
  },

  backward({ backend, inputs: [x], params, saved, dOutputs: [dy], wants }) {
    const [n, c] = x.shape;
    if (!x.size) {
      const dParams = wants.params ? { scale: backend.zeros([c]), B: backend.zeros([c]) } : {};
      return { dInputs: [wants.inputs[0] ? backend.alloc(x.shape) : undefined], dParams };
    }
    const { blocks } = backend;
    const axes = spatialAxes(x.shape.length);
    const invS = (n * c) / x.size;
    const row = { broadcast: rowBroadcast(x.shape) };
    const mean = saved.mean as Tensor;
    const invStd = saved.invStd as Tensor;
    const sumDy = blocks.reduce(dy, { axes });
    const terms = blocks.map({ name: 'instanceNorm.dyXhat', expr: 'b * (a - c) * d', inputs: [x, dy, { t: mean, ...row }, { t: invStd, ...row }] });
    const sumDyXhat = blocks.reduce(terms, { axes });
    terms.dispose();
    let dx: Tensor | undefined;
    if (wants.inputs[0]) {
      // Per-row coefficients over [N, C]; scale is read per channel there.
      const a = blocks.map({ name: 'instanceNorm.coefA', expr: 'a * b', inputs: [{ t: params.scale, broadcast: { div: 1, mod: c } }, invStd], shape: [n, c] });
      const e = blocks.map({ name: 'instanceNorm.coefE', expr: 's0 * a * b', inputs: [a, sumDy], scalars: [invS] });
      const g = blocks.map({ name: 'instanceNorm.coefG', expr: 's0 * a * b * c', inputs: [a, invStd, sumDyXhat], scalars: [invS] });
      dx = blocks.map({
        name: 'instanceNorm.backward',
        expr: 'd * b - e - (a - c) * g',
        inputs: [x, dy, { t: mean, ...row }, { t: a, ...row }, { t: e, ...row }, { t: g, ...row }],
      });
      for (const t of [a, e, g]) t.dispose();
    }
    const dParams = wants.params ? { scale: blocks.reduce(sumDyXhat, { axes: [0] }), B: blocks.reduce(sumDy, { axes: [0] }) } : {};
    sumDy.dispose();
    sumDyXhat.dispose();
    return { dInputs: [dx], dParams };
  },
});
