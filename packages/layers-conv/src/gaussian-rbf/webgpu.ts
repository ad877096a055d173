// GaussianRbf on WebGPU: cols = im2col(x) is [N, K, L]; one batched GEMM gives
// ‖p‖² − 2·P·cols[n] (alpha −2, ‖p‖² as the row bias), ‖x‖² is a sum of squares of cols over K,
// and a map adds them and takes e^(−β·max(D, 0)). Backward with G = −β·dy⊙y [N, M, L]:
// dcols = 2·(cols ⊙ Σ_m G − Pᵀ·G[n]) → col2im; dP = 2·(P ⊙ Σ_{n,l} G − Σ_n G[n]·cols[n]ᵀ).
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { resolveWindow, type ResolvedWindow } from '../conv/geometry.js';
import { GaussianRbf } from './definition.js';

function windowOf(attrs: { kernelShape: readonly number[] }, r: ResolvedWindow) {
  return { kernelShape: attrs.kernelShape, strides: r.strides, pads: r.pads, dilations: r.dilations };
}

export const gaussianRbfWebGpu = defineKernel(GaussianRbf, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { P } }) {
    const r = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, m, l, k] = [x.shape[0], attrs.prototypes, r.geometry.outH * r.geometry.outW, P.size / attrs.prototypes];
    const cols = blocks.im2col(x, windowOf(attrs, r));
    const pp = blocks.reduce(P, { axes: [1, 2, 3], op: 'sumsq' });
    const cross = blocks.gemmBatched({
      a: P, b: cols, m, n: l, k, alpha: -2, batch: n, inner: 1,
      strideA: [0, 0], strideB: [k * l, 0], strideC: [m * l, 0],
      bias: { t: pp, kind: 'row', stride: 0 },
      outShape: [n, m, l],
    });
    pp.dispose();
    const xx = blocks.reduce(cols, { axes: [1], op: 'sumsq' });
    const { input: xxIn, temp } = blocks.broadcastInput(xx, [n, m, l], [n, 1, l]);
    const y = blocks.map({ name: 'gaussianRbf', expr: 'exp(-s0 * max(a + b, 0.0))', inputs: [cross, xxIn], scalars: [attrs.beta], shape: [n, m, ...r.outSizes] });
    temp?.dispose();
    xx.dispose();
    cross.dispose();
    return { outputs: [y], saved: { cols } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { P }, outputs: [y], saved: { cols }, dOutputs: [dy], wants }) {
    const r = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, m, l, k] = [x.shape[0], attrs.prototypes, r.geometry.outH * r.geometry.outW, P.size / attrs.prototypes];
    const grad = blocks.map({ name: 'gaussianRbf.g', expr: '-s0 * a * b', inputs: [dy, y], scalars: [attrs.beta], shape: [n, m, l] });
    let dx;
    if (wants.inputs[0]) {
      const t = blocks.gemmBatched({
        a: P, b: grad, m: k, n: l, k: m, transA: true, batch: n, inner: 1,
        strideA: [0, 0], strideB: [m * l, 0], strideC: [k * l, 0],
        outShape: [n, k, l],
      });
      const s = blocks.reduce(grad, { axes: [1], keepDims: true });
      const { input: sIn, temp } = blocks.broadcastInput(s, [n, k, l]);
      const dCols = blocks.map({ name: 'gaussianRbf.dcols', expr: '2.0 * (a * b - c)', inputs: [cols, sIn, t] });
      temp?.dispose();
      s.dispose();
      t.dispose();
      dx = blocks.col2im(dCols, x.shape, windowOf(attrs, r));
      dCols.dispose();
    }
    let dParams = {};
    if (wants.params) {
      const u = blocks.gemmBatched({
        a: grad, b: cols, m, n: k, k: l, transB: true, ldb: l,
        strideA: [0, 0], strideB: [0, 0], strideC: [0, 0],
        reduce: n, reduceStrideA: m * l, reduceStrideB: k * l,
        outShape: P.shape,
      });
      const rowSum = blocks.reduce(grad, { axes: [0, 2] });
      const { input: rIn, temp } = blocks.broadcastInput(rowSum, P.shape, [m, 1, 1, 1]);
      dParams = { P: blocks.map({ name: 'gaussianRbf.dP', expr: '2.0 * (a * b - c)', inputs: [P, rIn, u] }) };
      temp?.dispose();
      rowSum.dispose();
      u.dispose();
    }
    grad.dispose();
    return { dInputs: [dx], dParams };
  },
});
