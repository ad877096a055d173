// PRelu on the CPU over x viewed as [N, C, inner] (C = 1, inner = everything when shared):
// y = x (x ≥ 0) or a_c·x (x < 0); dx = dy·(x > 0 ? 1 : a_c); da_c = Σ_{n, i; x < 0} dy·x.
// Branch-free like leaky-relu/cpu.ts: the slope comes from a two-entry table indexed by the sign test.
// A general `slopeShape` reads a_j through an index table j(i) of the broadcast instead.
import type {} from '@hubel/backend-cpu';
import { defineKernel, sizeOf, type Shape } from '@hubel/core';
import { PRelu } from './definition.js';

/** [outer, channels, inner] runs of x for the slope layout. */
function runs(shape: Shape, shared: boolean): [number, number, number] {
  return shared ? [1, 1, sizeOf(shape)] : [shape[0], shape[1], sizeOf(shape.slice(2))];
}

/** For each element of x, the index of its slope under a right-aligned broadcast of `slope` (an odometer, no closure per element). */
function slopeIndex(x: Shape, slope: Shape): Int32Array {
  const off = x.length - slope.length;
  // Stride of each x axis in the slope (0 where the slope broadcasts).
  const strides = x.map((_, j) => {
    const k = j - off;
    return k < 0 || slope[k] === 1 ? 0 : sizeOf(slope.slice(k + 1));
  });
  const out = new Int32Array(sizeOf(x));
  const at = new Array<number>(x.length).fill(0);
  let idx = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = idx;
    for (let j = x.length - 1; j >= 0; j--) {
      idx += strides[j];
      if (++at[j] < x[j]) break;
      idx -= strides[j] * x[j];
      at[j] = 0;
    }
  }
  return out;
}

export const preluCpu = defineKernel(PRelu, 'cpu', {
  forward({ backend, attrs, inputs: [x], params: { slope } }) {
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), a = backend.data(slope), y = backend.data(out);
    if (attrs.slopeShape) {
      const j = slopeIndex(x.shape, slope.shape);
      for (let i = 0; i < xs.length; i++) y[i] = xs[i] >= 0 ? xs[i] : a[j[i]] * xs[i];
      return { outputs: [out] };
    }
    const [outer, channels, inner] = runs(x.shape, attrs.channelShared);
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
    const xs = backend.data(x), a = backend.data(slope), g = backend.data(dy);
    const dxT = wants.inputs[0] ? backend.alloc(x.shape) : undefined;
    const daT = wants.params ? backend.zeros(slope.shape) : undefined;
    const dx = dxT ? backend.data(dxT) : undefined;
    const da = daT ? backend.data(daT) : undefined;
    if (attrs.slopeShape) {
      const j = slopeIndex(x.shape, slope.shape);
      if (dx) for (let i = 0; i < xs.length; i++) dx[i] = xs[i] > 0 ? g[i] : a[j[i]] * g[i];
      if (da) for (let i = 0; i < xs.length; i++) if (xs[i] < 0) da[j[i]] += g[i] * xs[i];
      return { dInputs: [dxT], dParams: { slope: daT } };
    }
    const [outer, channels, inner] = runs(x.shape, attrs.channelShared);
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
