// LogSoftmax on WebGPU along one axis, from the reduce and elementwise blocks with the
// reduced tensors broadcast back: m = max_axis x, s = Σ_axis e^{x − m}, y = x − m − ln s
// (no overflow); dx = dy − e^y · Σ_axis dy (the Jacobian I − 1·softmaxᵀ applied to dy).
import { reducedAxisBroadcast } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { LogSoftmax, normalizeAxis } from './definition.js';

export const logSoftmaxWebGpu = defineKernel(LogSoftmax, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axis = normalizeAxis(attrs.axis, x.shape.length);
    const broadcast = reducedAxisBroadcast(x.shape, axis);
    const m = blocks.reduce(x, { axes: [axis], op: 'max', keepDims: true });
    const e = blocks.map({ name: 'logsoftmax.exp', expr: 'exp(a - b)', inputs: [x, { t: m, broadcast }] });
    const s = blocks.reduce(e, { axes: [axis], keepDims: true });
    const y = blocks.map({ name: 'logsoftmax', expr: '(a - b) - log(c)', inputs: [x, { t: m, broadcast }, { t: s, broadcast }] });
    for (const t of [m, e, s]) t.dispose();
    return { outputs: [y] };
  },
  backward({ backend: { blocks }, attrs, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const axis = normalizeAxis(attrs.axis, y.shape.length);
    const sums = blocks.reduce(dy, { axes: [axis], keepDims: true });
    const dx = blocks.map({ name: 'logsoftmax.backward', expr: 'a - exp(b) * c', inputs: [dy, y, { t: sums, broadcast: reducedAxisBroadcast(y.shape, axis) }] });
    sums.dispose();
    return { dInputs: [dx] };
  },
});
