// LRN on WebGPU, x viewed as [N, C, S]: the window block's sum of squares across channels (a
// size × 1 window over the C axis of [N, C, 1, S]) gives d = bias + (alpha/size)·Σ x² and
// y = x·d^(−beta). Backward, t = dy·y/d summed over the same symmetric window (the window
// block's adjoint): dx = dy·d^(−beta) − 2·beta·(alpha/size)·x·Σ_window t.
import type { WindowView } from '@hubel/backend-webgpu';
import { defineKernel, type Shape } from '@hubel/core';
import { LRN } from './definition.js';

function channelWindow(x: Shape, size: number): WindowView {
  const [n, c] = x;
  const r = (size - 1) / 2; // size is odd (checked by the definition)
  return {
    outer: n, h: c, w: 1, inner: x.slice(2).reduce((p, d) => p * d, 1), outH: c, outW: 1,
    window: { kh: size, kw: 1, sh: 1, sw: 1, pt: r, pl: 0, pb: r, pr: 0, dh: 1, dw: 1 },
  };
}

export const lrnWebGpu = defineKernel(LRN, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const view = channelWindow(x.shape, attrs.size);
    const sq = blocks.window(x, view, 'sumsq', x.shape).y;
    const d = blocks.map({ name: 'lrn.denominator', expr: 's0 + s1 * a', inputs: [sq], scalars: [attrs.bias, attrs.alpha / attrs.size] });
    sq.dispose();
    const y = blocks.map({ name: 'lrn.forward', expr: 'a * pow(b, -s0)', inputs: [x, d], scalars: [attrs.beta] });
    return { outputs: [y], saved: { d } };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], outputs: [y], saved, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const t = blocks.map({ name: 'lrn.t', expr: 'a * b / c', inputs: [dy, y, saved.d] });
    const ws = blocks.windowBackward(t, channelWindow(x.shape, attrs.size), 'sum', x.shape);
    t.dispose();
    const f = (2 * attrs.beta * attrs.alpha) / attrs.size;
    const dx = blocks.map({ name: 'lrn.backward', expr: 'a * pow(b, -s0) - s1 * c * d', inputs: [dy, saved.d, x, ws], scalars: [attrs.beta, f] });
    ws.dispose();
    return { dInputs: [dx] };
  },
});
