// LogSoftmax on the CPU: y = x − m − log Σ e^{x − m} (the backend's log-softmax block);
// dx = dy − e^y · Σ_row dy (the Jacobian I − 1·softmaxᵀ applied to dy), rows found with the
// package's broadcast index map (idx[i] = the row of the normalized axis that x[i] belongs to).
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
    return { outputs: [backend.blocks.logSoftmax(x, normalizeAxis(attrs.axis, x.shape.length))] };
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
