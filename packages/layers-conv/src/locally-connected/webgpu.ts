// LocallyConnected on WebGPU: cols = im2col(x) [N, K, P] permuted to [P, K, N]; one GEMM per
// output position p, all positions in one batched dispatch: y_p [Cout, N] = W_p [Cout, K]·cols_p
// + B_p; then [P, Cout, N] → [N, Cout, P]. Backward per position: dW_p = dy_p·cols_pᵀ,
// dB_p = Σ_n dy_p, dcols_p = W_pᵀ·dy_p → permute back → col2im.
import type {} from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { resolveWindow, type ResolvedWindow } from '../conv/geometry.js';
import { LocallyConnected } from './definition.js';

function windowOf(attrs: { kernelShape: readonly number[] }, r: ResolvedWindow) {
  return { kernelShape: attrs.kernelShape, strides: r.strides, pads: r.pads, dilations: r.dilations };
}

export const locallyConnectedWebGpu = defineKernel(LocallyConnected, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { W, B } }) {
    const r = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, p, k] = [x.shape[0], attrs.outChannels, W.shape[0], W.shape[2]];
    const cols = blocks.im2col(x, windowOf(attrs, r));
    const colsP = blocks.permute(cols, [2, 1, 0]);
    cols.dispose();
    const yP = blocks.gemmBatched({
      a: W, b: colsP, m: cOut, n, k, batch: p,
      strideA: [0, cOut * k], strideB: [0, k * n], strideC: [0, cOut * n],
      bias: B ? { t: B, kind: 'row', stride: cOut } : undefined,
      outShape: [p, cOut, n],
    });
    const y = blocks.permute(yP, [2, 1, 0]);
    yP.dispose();
    const out = blocks.reshape(y, [n, cOut, ...r.outSizes]);
    y.dispose();
    return { outputs: [out], saved: { colsP } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { W, B }, saved: { colsP }, dOutputs: [dy], wants }) {
    const r = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, p, k] = [x.shape[0], attrs.outChannels, W.shape[0], W.shape[2]];
    const dy3 = blocks.reshape(dy, [n, cOut, p]);
    const dyP = blocks.permute(dy3, [2, 1, 0]);
    dy3.dispose();
    let dx;
    if (wants.inputs[0]) {
      const dColsP = blocks.gemmBatched({
        a: W, b: dyP, m: k, n, k: cOut, transA: true, batch: p,
        strideA: [0, cOut * k], strideB: [0, cOut * n], strideC: [0, k * n],
        outShape: [p, k, n],
      });
      const dCols = blocks.permute(dColsP, [2, 1, 0]);
      dColsP.dispose();
      dx = blocks.col2im(dCols, x.shape, windowOf(attrs, r));
      dCols.dispose();
    }
    let dParams = {};
    if (wants.params) {
      const dW = blocks.gemmBatched({
        a: dyP, b: colsP, m: cOut, n: k, k: n, transB: true, batch: p,
        strideA: [0, cOut * n], strideB: [0, k * n], strideC: [0, cOut * k],
        outShape: W.shape,
      });
      dParams = { W: dW, B: B ? blocks.reduce(dyP, { axes: [2], outShape: B.shape }) : undefined };
    }
    dyP.dispose();
    return { dInputs: [dx], dParams };
  },
});
