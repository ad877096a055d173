// LogSoftmax on the CPU with the package's broadcast index map from x to the kept shape
// (idx[i] = the row of the normalized axis that x[i] belongs to):
// y = x − m − log Σ e^{x − m}, m the row's max (no overflow);
// dx = dy − e^y · Σ_row dy (the Jacobian I − 1·softmaxᵀ applied to dy).
import type {} from '@hubel/backend-cpu';
import { defineKernel, sizeOf } from '@hubel/core';
import { broadcastIndex, scatterAdd } from '../broadcast.js';
import { LogSoftmax, normalizeAxis } from './definition.js';

/** Index map from an input of `shape` to its rows along `axis` (the axis set to 1). */
function rows(shape: readonly number[], axis: number): { idx: Int32Array; count: number } {
  const k = normalizeAxis(axis, shape.length);
  const kept = shape.map((d, i) => (i === k ? 1 : d));
  return { idx: broadcastIndex(shape, kept), count: sizeOf(kept) };
}

export const logSoftmaxCpu = defineKernel(LogSoftmax, 'cpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const { idx, count } = rows(x.shape, attrs.axis);
    const out = backend.alloc(x.shape);
    const xs = backend.data(x), y = backend.data(out);
    const m = new Float64Array(count).fill(-Infinity);
    for (let i = 0; i < xs.length; i++) if (xs[i] > m[idx[i]]) m[idx[i]] = xs[i];
    // y holds x − m for now; the row sums of its exponentials give the log-normalizer.
    for (let i = 0; i < xs.length; i++) y[i] = xs[i] - m[idx[i]];
    const s = new Float64Array(count);
    for (let i = 0; i < xs.length; i++) s[idx[i]] += Math.exp(y[i]);
    for (let r = 0; r < count; r++) s[r] = Math.log(s[r]);
    for (let i = 0; i < y.length; i++) y[i] -= s[idx[i]];
    return { outputs: [out] };
  },
  backward({ backend, attrs, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const { idx, count } = rows(y.shape, attrs.axis);
    const out = backend.alloc(y.shape);
    const ys = backend.data(y), g = backend.data(dy), dx = backend.data(out);
    const sums = new Float64Array(count);
    scatterAdd(g, idx, sums);
    for (let i = 0; i < dx.length; i++) dx[i] = g[i] - Math.exp(ys[i]) * sums[idx[i]];
    return { dInputs: [out] };
  },
});
