// GaussianRbf on the CPU: cols = im2col(x) is [K, N·L] (K = C·kH·kW, L = output positions) and
// ‖x − p‖² = ‖x‖² − 2·x·p + ‖p‖², the cross term one GEMM P·cols as in Conv; y = e^(−β·D).
// Backward with G = −β·dy⊙y as [M, N·L]: dcols = 2·(cols ⊙ Σ_m G − Pᵀ·G) → col2im, and
// dP = 2·(P ⊙ Σ_j G − G·colsᵀ): two GEMMs, the rest one pass each.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { resolveWindow } from '../conv/geometry.js';
import { GaussianRbf } from './definition.js';

export const gaussianRbfCpu = defineKernel(GaussianRbf, 'cpu', {
  forward({ backend, attrs, inputs: [x], params: { P } }) {
    const { blocks } = backend;
    const { geometry: g, outSizes } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, m, l, k] = [x.shape[0], attrs.prototypes, g.outH * g.outW, P.size / attrs.prototypes];
    const cols = blocks.im2col(x, g);
    const p2 = blocks.reshape(P, [m, k]);
    const dot = blocks.gemm(p2, cols);
    const c = backend.data(cols), ps = backend.data(p2), d = backend.data(dot);
    const cols2 = n * l;
    const xx = new Float64Array(cols2);
    for (let r = 0; r < k; r++) for (let j = 0; j < cols2; j++) xx[j] += c[r * cols2 + j] * c[r * cols2 + j];
    const out = backend.alloc([n, m, ...outSizes]);
    const y = backend.data(out);
    for (let i = 0; i < m; i++) {
      let pp = 0;
      for (let r = 0; r < k; r++) pp += ps[i * k + r] * ps[i * k + r];
      for (let j = 0; j < cols2; j++) {
        // The expansion can dip below 0 by round-off where a window equals a prototype.
        const dist = Math.max(0, xx[j] - 2 * d[i * cols2 + j] + pp);
        const img = Math.floor(j / l);
        y[(img * m + i) * l + (j - img * l)] = Math.exp(-attrs.beta * dist);
      }
    }
    p2.dispose();
    dot.dispose();
    return { outputs: [out], saved: { cols } };
  },
  backward({ backend, attrs, inputs: [x], params: { P }, outputs: [y], saved: { cols }, dOutputs: [dy], wants }) {
    const { blocks } = backend;
    const { geometry: g } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, m, l, k] = [x.shape[0], attrs.prototypes, g.outH * g.outW, P.size / attrs.prototypes];
    const cols2 = n * l;
    const grad = backend.alloc([m, cols2]);
    const gs = backend.data(grad), ys = backend.data(y), dys = backend.data(dy);
    for (let img = 0; img < n; img++) {
      for (let i = 0; i < m; i++) {
        for (let q = 0; q < l; q++) {
          const src = (img * m + i) * l + q;
          gs[i * cols2 + img * l + q] = -attrs.beta * dys[src] * ys[src];
        }
      }
    }
    const p2 = blocks.reshape(P, [m, k]);
    const c = backend.data(cols);
    let dx;
    if (wants.inputs[0]) {
      const t = blocks.gemm(p2, grad, { transA: true });
      const ts = backend.data(t);
      const colSum = new Float64Array(cols2);
      for (let i = 0; i < m; i++) for (let j = 0; j < cols2; j++) colSum[j] += gs[i * cols2 + j];
      for (let r = 0; r < k; r++) for (let j = 0; j < cols2; j++) ts[r * cols2 + j] = 2 * (c[r * cols2 + j] * colSum[j] - ts[r * cols2 + j]);
      dx = blocks.col2im(t, g, x.shape);
      t.dispose();
    }
    let dParams = {};
    if (wants.params) {
      const u = blocks.gemm(grad, cols, { transB: true });
      const us = backend.data(u), ps = backend.data(p2);
      for (let i = 0; i < m; i++) {
        let rowSum = 0;
        for (let j = 0; j < cols2; j++) rowSum += gs[i * cols2 + j];
        for (let r = 0; r < k; r++) us[i * k + r] = 2 * (ps[i * k + r] * rowSum - us[i * k + r]);
      }
      dParams = { P: blocks.reshape(u, P.shape) };
      u.dispose();
    }
    p2.dispose();
    grad.dispose();
    return { dInputs: [dx], dParams };
  },
});
