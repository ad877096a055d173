// LocalContrastNorm on the CPU, per sample, with G the renormalized Gaussian window (GaussianWindow):
// m = G(Σ_i x_i)/C, v_i = x_i − m, σ = √(G(Σ_i v_i²)/C), c = attr or mean(σ), d = max(c, σ), y_i = v_i/d.
// Backward: dd = −Σ_i dy_i·v_i/d²; dσ = dd where σ > c, and c's share Σ_{σ≤c} dd spread as 1/(H·W)
// when c = mean(σ); dQ = Gᵀ(dσ/2σ)/C; dv_i = dy_i/d + 2·v_i·dQ; dx_i = dv_i + Gᵀ(−Σ_i dv_i)/C.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { LocalContrastNorm } from './definition.js';
import { GaussianWindow } from './gaussian-window.js';

export const localContrastNormCpu = defineKernel(LocalContrastNorm, 'cpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const [n, c, h, w] = x.shape;
    const hw = h * w;
    const win = new GaussianWindow(attrs.size, attrs.sigma, h, w);
    const xs = backend.data(x);
    const y = backend.alloc(x.shape);
    const ys = backend.data(y);
    // Per sample planes kept for backward: the local mean m, σ, the divisor d; and c per sample.
    const mean = new Float64Array(n * hw);
    const sigma = new Float64Array(n * hw);
    const divisor = new Float64Array(n * hw);
    const floor = new Float64Array(n);
    const plane = new Float64Array(hw);
    const filtered = new Float64Array(hw);
    for (let b = 0; b < n; b++) {
      const xb = b * c * hw;
      const pb = b * hw;
      sumChannels(xs, xb, c, hw, plane);
      win.mean(plane, 0, filtered);
      for (let j = 0; j < hw; j++) mean[pb + j] = filtered[j] / c;
      plane.fill(0);
      for (let i = 0; i < c; i++) {
        const o = xb + i * hw;
        for (let j = 0; j < hw; j++) {
          const v = xs[o + j] - mean[pb + j];
          plane[j] += v * v;
        }
      }
      win.mean(plane, 0, filtered);
      let sigmaSum = 0;
      for (let j = 0; j < hw; j++) {
        // max(0, ·) guards against a rounding-negative variance where v ≈ 0.
        const s = Math.sqrt(Math.max(0, filtered[j] / c));
        sigma[pb + j] = s;
        sigmaSum += s;
      }
      const cb = attrs.c ?? sigmaSum / hw;
      floor[b] = cb;
      for (let j = 0; j < hw; j++) divisor[pb + j] = Math.max(cb, sigma[pb + j]);
      for (let i = 0; i < c; i++) {
        const o = xb + i * hw;
        for (let j = 0; j < hw; j++) {
          const d = divisor[pb + j];
          ys[o + j] = d > 0 ? (xs[o + j] - mean[pb + j]) / d : 0;
        }
      }
    }
    return { outputs: [y], saved: { mean, sigma, divisor, floor } };
  },

  backward({ backend, attrs, inputs: [x], saved, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const [n, c, h, w] = x.shape;
    const hw = h * w;
    const win = new GaussianWindow(attrs.size, attrs.sigma, h, w);
    const { mean, sigma, divisor, floor } = saved as { mean: Float64Array; sigma: Float64Array; divisor: Float64Array; floor: Float64Array };
    const xs = backend.data(x);
    const dys = backend.data(dy);
    const dx = backend.alloc(x.shape);
    const dxs = backend.data(dx);
    const dVar = new Float64Array(hw);
    const dQ = new Float64Array(hw);
    const dMean = new Float64Array(hw);
    const dS = new Float64Array(hw);
    const meanFloor = attrs.c === undefined;
    for (let b = 0; b < n; b++) {
      const xb = b * c * hw;
      const pb = b * hw;
      // dd = −Σ_i dy_i·v_i/d², routed to σ where σ > c, else to c.
      dVar.fill(0);
      for (let i = 0; i < c; i++) {
        const o = xb + i * hw;
        for (let j = 0; j < hw; j++) dVar[j] -= dys[o + j] * (xs[o + j] - mean[pb + j]);
      }
      let dFloor = 0;
      for (let j = 0; j < hw; j++) {
        const d = divisor[pb + j];
        const dd = d > 0 ? dVar[j] / (d * d) : 0;
        if (sigma[pb + j] > floor[b]) dVar[j] = dd;
        else {
          dVar[j] = 0;
          dFloor += dd;
        }
      }
      // c = mean(σ): its gradient spreads evenly over σ. Then σ = √var: dvar = dσ/(2σ).
      const share = meanFloor ? dFloor / hw : 0;
      for (let j = 0; j < hw; j++) {
        const s = sigma[pb + j];
        dVar[j] = s > 0 ? (dVar[j] + share) / (2 * s) : 0;
      }
      win.meanTransposed(dVar, 0, dQ);
      // dv_i = dy_i/d + 2·v_i·dQ/C (into dx), and dm = −Σ_i dv_i.
      dMean.fill(0);
      for (let i = 0; i < c; i++) {
        const o = xb + i * hw;
        for (let j = 0; j < hw; j++) {
          const d = divisor[pb + j];
          const dv = (d > 0 ? dys[o + j] / d : 0) + (2 * (xs[o + j] - mean[pb + j]) * dQ[j]) / c;
          dxs[o + j] = dv;
          dMean[j] -= dv;
        }
      }
      win.meanTransposed(dMean, 0, dS);
      for (let i = 0; i < c; i++) {
        const o = xb + i * hw;
        for (let j = 0; j < hw; j++) dxs[o + j] += dS[j] / c;
      }
    }
    return { dInputs: [dx] };
  },
});

/** out[j] = Σ_i x[offset + i·hw + j]. */
function sumChannels(xs: ArrayLike<number>, offset: number, c: number, hw: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < c; i++) {
    const o = offset + i * hw;
    for (let j = 0; j < hw; j++) out[j] += xs[o + j];
  }
}
