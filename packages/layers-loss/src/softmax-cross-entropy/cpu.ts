// Softmax cross-entropy on the CPU, fused, over scores viewed as [N, C, inner]. Per position,
// with m = max_c x_c and s = Σ_c e^{x_c − m} (so e^· ≤ 1: stable for any logits):
// ℓ = log s + (1 − ε)(m − x_label) + (ε/C)·Σ_c (m − x_c); forward saves p = softmax(x).
// ∂C/∂x_c = dC·k·(p_c − q_c), q = (1 − ε)·onehot + ε/C, k = 1/count ('mean') or 1; 0 where ignored.
import type {} from '@hubel/backend-cpu';
import { HubelError, defineKernel, fmtShape, layerLabel, sizeOf, type Shape } from '@hubel/core';
import { SoftmaxCrossEntropy } from './definition.js';

function unravel(index: number, shape: Shape): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(index % shape[d]);
    index = Math.floor(index / shape[d]);
  }
  return fmtShape(at);
}

export const softmaxCrossEntropyCpu = defineKernel(SoftmaxCrossEntropy, 'cpu', {
  forward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t], node }) {
    const classes = x.shape[1];
    const inner = sizeOf(x.shape.slice(2));
    const labels = backend.ints(t);
    // Labels are checked before anything is allocated, so a bad batch leaks nothing.
    let count = 0;
    for (let k = 0; k < labels.length; k++) {
      const label = labels[k];
      if (label === ignoreIndex) continue;
      if (!(label >= 0 && label < classes)) {
        throw new HubelError(
          'shape',
          `node '${node}' (${layerLabel(SoftmaxCrossEntropy)}): label ${label} at T${unravel(k, t.shape)} is outside [0, ${classes}) — X ${fmtShape(x.shape)} has ${classes} classes`,
        );
      }
      count++;
    }
    const xs = backend.data(x);
    const pT = backend.alloc(x.shape);
    const p = backend.data(pT);
    const stride = classes * inner;
    let total = 0;
    for (let k = 0; k < labels.length; k++) {
      const base = Math.floor(k / inner) * stride + (k % inner);
      const end = base + stride;
      let max = -Infinity;
      for (let j = base; j < end; j += inner) if (xs[j] > max) max = xs[j];
      let sum = 0;
      let gap = 0; // Σ_c (m − x_c), for the smoothing term
      for (let j = base; j < end; j += inner) {
        const e = Math.exp(xs[j] - max);
        p[j] = e;
        sum += e;
        gap += max - xs[j];
      }
      const inv = 1 / sum;
      for (let j = base; j < end; j += inner) p[j] *= inv;
      const label = labels[k];
      if (label === ignoreIndex) continue;
      total += Math.log(sum) + (1 - eps) * (max - xs[base + label * inner]) + (eps / classes) * gap;
    }
    const out = backend.alloc([]);
    // Mean over zero labelled positions is taken as 0 (ONNX's reference gives 0/0 = NaN).
    backend.data(out)[0] = reduction === 'mean' ? (count > 0 ? total / count : 0) : total;
    return { outputs: [out], saved: { p: pT, count } };
  },
  backward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t], saved, dOutputs: [dC], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined, undefined] };
    const count: number = saved.count;
    const classes = x.shape[1];
    const inner = sizeOf(x.shape.slice(2));
    const scale = reduction === 'mean' ? (count > 0 ? backend.data(dC)[0] / count : 0) : backend.data(dC)[0];
    const labels = backend.ints(t);
    const p = backend.data(saved.p);
    const dxT = backend.alloc(x.shape);
    const dx = backend.data(dxT);
    const stride = classes * inner;
    const floor = eps / classes;
    for (let k = 0; k < labels.length; k++) {
      const base = Math.floor(k / inner) * stride + (k % inner);
      const end = base + stride;
      const label = labels[k];
      if (label === ignoreIndex) {
        for (let j = base; j < end; j += inner) dx[j] = 0;
        continue;
      }
      for (let j = base; j < end; j += inner) dx[j] = scale * (p[j] - floor);
      dx[base + label * inner] -= scale * (1 - eps);
    }
    return { dInputs: [dxT, undefined] };
  },
});
