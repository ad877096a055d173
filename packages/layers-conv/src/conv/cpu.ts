// Conv on the CPU (Caffe's scheme): cols = im2col(x) is [C·kH·kW, N·L] (L = output positions),
// y = W·cols + B as one GEMM batched over groups, then [Cout, N, L] → [N, Cout, L].
// Backward with dy as [Cout, N·L]: dW = dy·colsᵀ, dB = Σ dy over N·L, dx = col2im(Wᵀ·dy).
// 3×3 and 5×5 stride-1 convolutions over ≥ 8 channels use Winograd's F(2×2, r×r) for y and dx
// instead (2.25× and 2.8× fewer multiplications; blocks.winogradConv), and for dW the same
// transforms run backwards (blocks.winogradFilterGrad): no column matrix at all.
import type { ConvGeometry } from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { Conv } from './definition.js';
import { resolveWindow } from './geometry.js';

/** Channels below which the input stays on the im2col path (a first layer's 1 or 3 channels). */
const WINOGRAD_MIN_CHANNELS = 8;

function winogradFits(g: ConvGeometry, rank: number, group: number): boolean {
  return rank === 4 && group === 1 && (g.kernelH === 3 || g.kernelH === 5) && g.kernelW === g.kernelH && g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 && g.dilationW === 1 && g.channels >= WINOGRAD_MIN_CHANNELS;
}

export const convCpu = defineKernel(Conv, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { W, B }, mode }) {
    const { geometry: g, outSizes } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, l] = [x.shape[0], attrs.outChannels, g.outH * g.outW];
    if (winogradFits(g, x.shape.length, attrs.group)) {
      // Training keeps x's tile transforms for dW (they are what the backward pass would redo).
      const tiles = mode === 'train' ? blocks.winogradInputTiles(x, g) : undefined;
      return { outputs: [blocks.winogradConv(x, W, g, { bias: B, tiles })], saved: { cols: undefined, tiles } };
    }
    const cols = blocks.im2col(x, g);
    const w2 = blocks.reshape(W, [cOut, W.size / cOut]);
    const yT = blocks.gemm(w2, cols, { groups: attrs.group, rowBias: B });
    w2.dispose();
    const y = blocks.transpose(yT, [1, 0, 2], [cOut, n, l], [n, cOut, ...outSizes]);
    yT.dispose();
    return { outputs: [y], saved: { cols } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { W, B }, saved: { cols, tiles }, dOutputs: [dy], wants }) {
    const { geometry: g } = resolveWindow(attrs, x.shape, x.shape[1]);
    const [n, cOut, l] = [x.shape[0], attrs.outChannels, g.outH * g.outW];
    const dyT = blocks.transpose(dy, [1, 0, 2], [n, cOut, l], [cOut, n * l]);
    const w2 = blocks.reshape(W, [cOut, W.size / cOut]);
    const winograd = cols === undefined;
    let dx;
    if (wants.inputs[0] && winograd) {
      // dx is the r×r convolution of dy with the transposed, rotated filters and pads r − 1 − p.
      const k = g.kernelH - 1;
      const adjoint: ConvGeometry = { ...g, channels: cOut, inH: g.outH, inW: g.outW, padTop: k - g.padTop, padLeft: k - g.padLeft, outH: g.inH, outW: g.inW };
      dx = blocks.winogradConv(dy, W, adjoint, { adjoint: true });
    } else if (wants.inputs[0]) {
      const dCols = blocks.gemm(w2, dyT, { transA: true, groups: attrs.group });
      dx = blocks.col2im(dCols, g, x.shape);
      dCols.dispose();
    }
    let dParams = {};
    if (wants.params) {
      let dW;
      if (winograd) {
        dW = blocks.winogradFilterGrad(x, dy, g, { tiles });
      } else {
        const dW2 = blocks.gemm(dyT, cols, { transB: true, groups: attrs.group });
        dW = blocks.reshape(dW2, W.shape);
        dW2.dispose();
      }
      dParams = { W: dW, B: B ? blocks.sum(dyT, { axes: [1] }) : undefined };
    }
    w2.dispose();
    dyT.dispose();
    return { dInputs: [dx], dParams };
  },
});
