// Conv on the CPU (Caffe's scheme): cols = im2col(x) is [C·kH·kW, N·L] (L = output positions),
// y = W·cols + B as one GEMM batched over groups, then [Cout, N, L] → [N, Cout, L].
// Backward with dy as [Cout, N·L]: dW = dy·colsᵀ, dB = Σ dy over N·L, dx = col2im(Wᵀ·dy).
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Conv } from './definition.js';
import { resolveWindow } from './geometry.js';

export const convCpu = defineKernel(Conv, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { W, B } }) {
    const { geometry: g, outSizes } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, l] = [x.shape[0], attrs.outChannels, g.outH * g.outW];
    const cols = blocks.im2col(x, g);
    const w2 = blocks.reshape(W, [cOut, W.size / cOut]);
    const yT = blocks.gemm(w2, cols, { groups: attrs.group, rowBias: B });
    w2.dispose();
    const y = blocks.transpose(yT, [1, 0, 2], [cOut, n, l], [n, cOut, ...outSizes]);
    yT.dispose();
    return { outputs: [y], saved: { cols } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { W, B }, saved: { cols }, dOutputs: [dy], wants }) {
    const { geometry: g } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, l] = [x.shape[0], attrs.outChannels, g.outH * g.outW];
    const dyT = blocks.transpose(dy, [1, 0, 2], [n, cOut, l], [cOut, n * l]);
    const w2 = blocks.reshape(W, [cOut, W.size / cOut]);
    let dx;
    if (wants.inputs[0]) {
      const dCols = blocks.gemm(w2, dyT, { transA: true, groups: attrs.group });
      dx = blocks.col2im(dCols, g, x.shape);
      dCols.dispose();
    }
    let dParams = {};
    if (wants.params) {
      const dW2 = blocks.gemm(dyT, cols, { transB: true, groups: attrs.group });
      dParams = { W: blocks.reshape(dW2, W.shape), B: B ? blocks.sum(dyT, { axes: [1] }) : undefined };
      dW2.dispose();
    }
    w2.dispose();
    dyT.dispose();
    return { dInputs: [dx], dParams };
  },
});
