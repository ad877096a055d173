// Conv on WebGPU: cols = im2col(x) is [N, C·∏k, L] (L = output positions); per image n and
// group g one GEMM y[n, g] = W[g]·cols[n, g] + B[g], all (n, g) in one batched dispatch that
// writes NCHW directly. Backward: dW[g] = Σ_n dy[n, g]·cols[n, g]ᵀ (the GEMM's reduction
// batch over images), dB = Σ dy over N and L, dx = col2im(W[g]ᵀ·dy[n, g]).
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Conv } from './definition.js';
import { resolveWindow, type ResolvedWindow } from './geometry.js';

/** Sizes of the per-group GEMMs: Og output channels, Kg = (C/G)·∏k rows of cols per group. */
function sizes(r: ResolvedWindow, xShape: readonly number[], cOut: number, group: number) {
  const kk = r.geometry.kernelH * r.geometry.kernelW;
  const c = xShape[1];
  return { n: xShape[0], c, kk, l: r.geometry.outH * r.geometry.outW, og: cOut / group, kg: (c / group) * kk };
}

function windowOf(attrs: { kernelShape: readonly number[] }, r: ResolvedWindow) {
  return { kernelShape: attrs.kernelShape, strides: r.strides, pads: r.pads, dilations: r.dilations };
}

export const convWebGpu = defineKernel(Conv, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { W, B } }) {
    const r = resolveWindow(attrs, x.shape, x.shape[1]);
    const { n, c, kk, l, og, kg } = sizes(r, x.shape, attrs.outChannels, attrs.group);
    const cols = blocks.im2col(x, windowOf(attrs, r));
    const y = blocks.gemmBatched({
      a: W, b: cols, m: og, n: l, k: kg,
      batch: n * attrs.group, inner: attrs.group,
      strideA: [0, og * kg], strideB: [c * kk * l, kg * l], strideC: [attrs.outChannels * l, og * l],
      bias: B ? { t: B, kind: 'row', stride: og } : undefined,
      outShape: [n, attrs.outChannels, ...r.outSizes],
    });
    return { outputs: [y], saved: { cols } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { W, B }, saved: { cols }, dOutputs: [dy], wants }) {
    const r = resolveWindow(attrs, x.shape, x.shape[1]);
    const { n, c, kk, l, og, kg } = sizes(r, x.shape, attrs.outChannels, attrs.group);
    const cOut = attrs.outChannels;
    let dx;
    if (wants.inputs[0]) {
      const dCols = blocks.gemmBatched({
        a: W, b: dy, m: kg, n: l, k: og, transA: true,
        batch: n * attrs.group, inner: attrs.group,
        strideA: [0, og * kg], strideB: [cOut * l, og * l], strideC: [c * kk * l, kg * l],
        outShape: [n, c * kk, l],
      });
      dx = blocks.col2im(dCols, x.shape, windowOf(attrs, r));
      dCols.dispose();
    }
    let dParams = {};
    if (wants.params) {
      const dW = blocks.gemmBatched({
        a: dy, b: cols, m: og, n: kg, k: l, transB: true, ldb: l,
        batch: attrs.group, strideA: [0, og * l], strideB: [0, kg * l], strideC: [0, og * kg],
        reduce: n, reduceStrideA: cOut * l, reduceStrideB: c * kk * l,
        outShape: W.shape,
      });
      dParams = { W: dW, B: B ? blocks.sum(dy, { axes: dy.shape.map((_, i) => i).filter((i) => i !== 1) }) : undefined };
    }
    return { dInputs: [dx], dParams };
  },
});
