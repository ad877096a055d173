// Maxout on WebGPU: x [N, G·k, S…] viewed as [N·G, k, 1, S] and pooled by one k×1 window per
// column through the window block: y[n, g, s] = max_j x[n, g·k + j, s] (lowest channel on
// ties); dx = dy at the arg-max, 0 elsewhere.
import type { WindowView } from '@hubel/backend-webgpu';
import { defineKernel, type Shape } from '@hubel/core';
import { Maxout, maxoutOutputShape } from './definition.js';

function view(k: number, x: Shape): WindowView {
  const s = x.slice(2).reduce((p, d) => p * d, 1);
  return {
    outer: (x[0] * x[1]) / k, h: k, w: 1, inner: s,
    window: { kh: k, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, pb: 0, pr: 0, dh: 1, dw: 1 },
  };
}

export const maxoutWebGpu = defineKernel(Maxout, 'webgpu', {
  forward({ backend: { blocks }, attrs: { groupSize: k }, inputs: [x] }) {
    const { y, argmax } = blocks.window(x, view(k, x.shape), 'max', maxoutOutputShape(k, x.shape));
    return { outputs: [y], saved: { argmax } };
  },
  backward({ backend: { blocks }, attrs: { groupSize: k }, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    return { dInputs: [blocks.windowBackward(dy, view(k, x.shape), 'max', x.shape, argmax)] };
  },
});
