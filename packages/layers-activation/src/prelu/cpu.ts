// PRelu on the CPU over x viewed as [N, C, inner] (C = 1, inner = everything when shared):
// y = x (x ≥ 0) or a_c·x (x < 0); dx = dy·(x > 0 ? 1 : a_c); da_c = Σ_{n, i; x < 0} dy·x.
// Branch-free like leaky-relu/cpu.ts: the slope comes from a two-entry table indexed by the sign test.
import type {} from '@hubel/backend-cpu';
import { defineKernel, sizeOf, type Shape } from '@hubel/core';
import { PRelu } from './definition.js';

/** [outer, channels, inner] runs of x for the slope layout. */
function runs(shape: Shape, shared: boolean): [number, number, number] {
  return shared ? [1, 1, sizeOf(shape)] : [shape[0], shape[1], sizeOf(shape.slice(2))];
}

export const preluCpu = defineKernel(PRelu, 'cpu', {
  forward({ backend, attrs, inputs: [x], params: { slope } }) {
    const [outer, channels, inner] = runs(x.shape, attrs.channelShared);
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), a = backend.data(slope), y = backend.data(out);
    const k = new Float64Array([0, 1]);
    for (let n = 0; n < outer; n++) {
      for (let c = 0; c < channels; c++) {
        k[0] = a[c];
        const base = (n * channels + c) * inner;
        for (let i = base; i < base + inner; i++) y[i] = xs[i] * k[+(xs[i] >= 0)];
      }
    }
    return { outputs: [out] };
  },
  backward({ backend, attrs, inputs: [x], params: { slope }, dOutputs: [dy], wants }) {
    const [outer, channels, inner] = runs(x.shape, attrs.channelShared);
    const xs = backend.data(x), a = backend.data(slope), g = backend.data(dy);
    const dxT = wants.inputs[0] ? backend.alloc(x.shape) : undefined;
    const daT = wants.params ? backend.zeros(slope.shape) : undefined;
    const dx = dxT ? backend.data(dxT) : undefined;
    const da = daT ? backend.data(daT) : undefined;
    const k = new Float64Array([0, 1]);
    for (let n = 0; n < outer; n++) {
      for (let c = 0; c < channels; c++) {
        k[0] = a[c];
        const base = (n * channels + c) * inner;
        if (dx) for (let i = base; i < base + inner; i++) dx[i] = g[i] * k[+(xs[i] > 0)];
        if (da) {
          let s = 0;
          for (let i = base; i < base + inner; i++) s += g[i] * xs[i] * +(xs[i] < 0);
          da[c] += s;
        }
      }
    }
    return { dInputs: [dxT], dParams: { slope: daT } };
  },
});
