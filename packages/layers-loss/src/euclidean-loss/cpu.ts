// Euclidean loss on the CPU: C = s·½Σ(x − t)², s = 1/N ('mean') or 1 ('sum');
// ∂C/∂x = dC·s·(x − t) and ∂C/∂t = −dC·s·(x − t), dC being the scalar seed (1 for a loss).
import type {} from '@hubel/backend-cpu';
import { defineKernel } from '@hubel/core';
import { EuclideanLoss } from './definition.js';

export const euclideanLossCpu = defineKernel(EuclideanLoss, 'cpu', {
  forward({ backend, attrs, inputs: [x, t] }) {
    const xs = backend.data(x), ts = backend.data(t);
    let sum = 0;
    for (let i = 0; i < xs.length; i++) {
      const d = xs[i] - ts[i];
      sum += d * d;
    }
    const out = backend.alloc([]);
    backend.data(out)[0] = (0.5 * sum) / (attrs.reduction === 'mean' ? x.shape[0] : 1);
    return { outputs: [out] };
  },
  backward({ backend, attrs, inputs: [x, t], dOutputs: [dC], wants }) {
    const scale = backend.data(dC)[0] / (attrs.reduction === 'mean' ? x.shape[0] : 1);
    const xs = backend.data(x), ts = backend.data(t);
    const dxT = wants.inputs[0] ? backend.alloc(x.shape) : undefined;
    const dtT = wants.inputs[1] ? backend.alloc(t.shape) : undefined;
    if (dxT) {
      const dx = backend.data(dxT);
      for (let i = 0; i < dx.length; i++) dx[i] = scale * (xs[i] - ts[i]);
    }
    if (dtT) {
      const dt = backend.data(dtT);
      for (let i = 0; i < dt.length; i++) dt[i] = scale * (ts[i] - xs[i]);
    }
    return { dInputs: [dxT, dtT] };
  },
});
