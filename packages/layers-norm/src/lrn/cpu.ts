// LRN on the CPU, x viewed as [N, C, S]: d = bias + (alpha/size)·Σ_{window} x², y = x·d^(−beta),
// the window sum sliding across channels (channelWindowSum). Backward, r = (size − 1)/2:
// dx_j = dy_j·d_j^(−beta) − 2·beta·(alpha/size)·x_j·Σ_{c=j−r}^{j+r} dy_c·y_c/d_c
// (channel j sits in the windows of channels j−r … j+r, the same symmetric window).
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { channelWindowSum } from './channel-window.js';
import { LRN } from './definition.js';

export const lrnCpu = defineKernel(LRN, 'cpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const [n, c] = x.shape;
    const s = x.size / (n * c);
    const k = attrs.alpha / attrs.size;
    const xs = backend.data(x);
    const d = backend.alloc(x.shape);
    const ds = backend.data(d);
    channelWindowSum(xs, ds, n, c, s, (attrs.size - 1) / 2, true, new Float64Array(s));
    const p = backend.alloc(x.shape);
    const ps = backend.data(p);
    const y = backend.alloc(x.shape);
    const ys = backend.data(y);
    for (let i = 0; i < ds.length; i++) ds[i] = attrs.bias + k * ds[i];
    negativePower(ds, attrs.beta, ps);
    for (let i = 0; i < xs.length; i++) ys[i] = xs[i] * ps[i];
    // d and d^(−beta) are kept for backward.
    return { outputs: [y], saved: { d, p } };
  },

  backward({ backend, attrs, inputs: [x], outputs: [y], saved, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const [n, c] = x.shape;
    const s = x.size / (n * c);
    const xs = backend.data(x);
    const ys = backend.data(y);
    const dys = backend.data(dy);
    const ds = backend.data(saved.d);
    const ps = backend.data(saved.p);
    const t = backend.alloc(x.shape);
    const ts = backend.data(t);
    for (let i = 0; i < ts.length; i++) ts[i] = (dys[i] * ys[i]) / ds[i];
    const dx = backend.alloc(x.shape);
    const dxs = backend.data(dx);
    channelWindowSum(ts, dxs, n, c, s, (attrs.size - 1) / 2, false, new Float64Array(s));
    t.dispose();
    const f = (2 * attrs.beta * attrs.alpha) / attrs.size;
    for (let i = 0; i < dxs.length; i++) dxs[i] = dys[i] * ps[i] - f * xs[i] * dxs[i];
    return { dInputs: [dx] };
  },
});

/**
 * out = d^(−beta). Math.pow costs ~70 ns per call in V8, more than the rest of the layer; for
 * AlexNet's beta = 0.75 (and 0.5, 1) square roots give the same value to within an ulp or two,
 * about 5× faster.
 */
function negativePower(d: ArrayLike<number>, beta: number, out: { [i: number]: number }): void {
  const n = d.length;
  if (beta === 0.75) {
    for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(d[i] * Math.sqrt(d[i]));
  } else if (beta === 0.5) {
    for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(d[i]);
  } else if (beta === 1) {
    for (let i = 0; i < n; i++) out[i] = 1 / d[i];
  } else {
    for (let i = 0; i < n; i++) out[i] = Math.pow(d[i], -beta);
  }
}
