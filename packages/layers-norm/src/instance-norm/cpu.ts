// InstanceNormalization on the CPU, x viewed as N·C rows of S = ∏spatial values: per row
// μ = Σx/S (the backend's sum block), σ² = Σ(x − μ)²/S (a second pass), r = 1/√(σ² + ε),
// y = scale_c·r·(x − μ) + B_c. Backward per row, x̂ = (x − μ)·r:
// dx = scale_c·r·(dy − Σdy/S − x̂·Σ(dy·x̂)/S) (μ and σ² depend on the row's x);
// dscale = Σ_n Σ(dy·x̂), dB = Σ_n Σdy (the sum block again, over N).
import type {} from '@hubel/backend-cpu';
import { defineKernel, type Tensor } from '@hubel/core';
import { InstanceNormalization } from './definition.js';

/** Per-row statistics the forward pass computes and backward reuses (float64, one per (n, c)). */
interface RowStats {
  readonly mean: Float64Array;
  /** 1/√(σ² + ε). */
  readonly invStd: Float64Array;
}

/** The spatial axes 2 … rank − 1. */
const spatialAxes = (rank: number) => Array.from({ length: rank - 2 }, (_, i) => i + 2);

/** CPU kernel of `InstanceNormalization` (float32 or float64, as the backend computes). */
export const instanceNormCpu = defineKernel(InstanceNormalization, 'cpu', {
  forward({ backend, attrs, inputs: [x], params }) {
    const [n, c] = x.shape;
    const rows = n * c;
    const s = rows ? x.size / rows : 0;
    const xs = backend.data(x);
    const sums = backend.blocks.sum(x, { axes: spatialAxes(x.shape.length) });
    // An empty spatial extent (s = 0) has no values to normalize: statistics 0, not 0/0.
    const mean = Float64Array.from(backend.data(sums), (v) => (s ? v / s : 0));
    sums.dispose();
    const invStd = new Float64Array(rows);
    for (let row = 0; row < rows; row++) {
      const mu = mean[row];
      let acc = 0;
      for (let j = row * s; j < (row + 1) * s; j++) {
        const d = xs[j] - mu;
        acc += d * d;
      }
      invStd[row] = 1 / Math.sqrt((s ? acc / s : 0) + attrs.epsilon);
    }
    const y = backend.alloc(x.shape);
    const ys = backend.data(y);
    const scale = backend.data(params.scale);
    const bias = backend.data(params.B);
    for (let row = 0; row < rows; row++) {
      const ch = row % c;
      const a = scale[ch] * invStd[row];
      const mu = mean[row];
      const b = bias[ch];
      for (let j = row * s; j < (row + 1) * s; j++) ys[j] = a * (xs[j] - mu) + b;
    }
    const stats: RowStats = { mean, invStd };
    return { outputs: [y], saved: { stats } };
  },

  backward({ backend, inputs: [x], params, saved, dOutputs: [dy], wants }) {
    const [n, c] = x.shape;
    const rows = n * c;
    const s = rows ? x.size / rows : 0;
    const { mean, invStd } = saved.stats as RowStats;
    const xs = backend.data(x);
    const dys = backend.data(dy);
    // Σdy and Σdy·x̂ per row, as [N, C] tensors: the parameter gradients sum them over N.
    const sumDy = backend.blocks.sum(dy, { axes: spatialAxes(x.shape.length) });
    const sumDyXhat = backend.alloc([n, c]);
    const sd = backend.data(sumDy);
    const sdx = backend.data(sumDyXhat);
    for (let row = 0; row < rows; row++) {
      const mu = mean[row];
      let acc = 0;
      for (let j = row * s; j < (row + 1) * s; j++) acc += dys[j] * (xs[j] - mu);
      sdx[row] = acc * invStd[row];
    }
    let dx: Tensor | undefined;
    if (wants.inputs[0]) {
      dx = backend.alloc(x.shape);
      const dxs = backend.data(dx);
      const scale = backend.data(params.scale);
      for (let row = 0; row < rows; row++) {
        const r = invStd[row];
        const g = scale[row % c] * r;
        const mu = mean[row];
        const md = sd[row] / s;
        const mdx = sdx[row] / s;
        for (let j = row * s; j < (row + 1) * s; j++) dxs[j] = g * (dys[j] - md - (xs[j] - mu) * r * mdx);
      }
    }
    const dParams = wants.params ? { scale: backend.blocks.sum(sumDyXhat, { axes: [0] }), B: backend.blocks.sum(sumDy, { axes: [0] }) } : {};
    sumDy.dispose();
    sumDyXhat.dispose();
    return { dInputs: [dx], dParams };
  },
});
