// LocallyConnected on the CPU: the conv's im2col, then one GEMM per output position p,
// batched: cols [K, N, P] → [P, K, N]; y_p [Cout, N] = W_p [Cout, K] · cols_p + B_p; → [N, Cout, P].
// Backward per position: dW_p = dy_p·cols_pᵀ, dB_p = Σ_n dy_p, dcols_p = W_pᵀ·dy_p → col2im.
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { resolveWindow } from '../conv/geometry.js';
import { LocallyConnected } from './definition.js';

export const locallyConnectedCpu = defineKernel(LocallyConnected, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { W, B } }) {
    const { geometry: g, outSizes } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, p, k] = [x.shape[0], attrs.outChannels, g.outH * g.outW, W.shape[2]];
    const cols = blocks.im2col(x, g);
    const colsP = blocks.transpose(cols, [2, 0, 1], [k, n, p], [p * k, n]);
    cols.dispose();
    const w2 = blocks.reshape(W, [p * cOut, k]);
    const yP = blocks.gemm(w2, colsP, { groups: p, rowBias: B });
    w2.dispose();
    const y = blocks.transpose(yP, [2, 1, 0], [p, cOut, n], [n, cOut, ...outSizes]);
    yP.dispose();
    return { outputs: [y], saved: { colsP } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { W, B }, saved: { colsP }, dOutputs: [dy], wants }) {
    const { geometry: g } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, p, k] = [x.shape[0], attrs.outChannels, g.outH * g.outW, W.shape[2]];
    const dyP = blocks.transpose(dy, [2, 1, 0], [n, cOut, p], [p * cOut, n]);
    let dx;
    if (wants.inputs[0]) {
      const w2 = blocks.reshape(W, [p * cOut, k]);
      const dColsP = blocks.gemm(w2, dyP, { transA: true, groups: p });
      w2.dispose();
      const dCols = blocks.transpose(dColsP, [1, 2, 0], [p, k, n], [k, n * p]);
      dColsP.dispose();
      dx = blocks.col2im(dCols, g, x.shape);
      dCols.dispose();
    }
    let dParams = {};
    if (wants.params) {
      const dW2 = blocks.gemm(dyP, colsP, { transB: true, groups: p });
      const dB = B ? blocks.sum(dyP, { axes: [1] }) : undefined;
      dParams = { W: blocks.reshape(dW2, W.shape), B: dB && blocks.reshape(dB, B!.shape) };
      dW2.dispose();
      dB?.dispose();
    }
    dyP.dispose();
    return { dInputs: [dx], dParams };
  },
});
