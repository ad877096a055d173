// Softmax on WebGPU along one axis: m = max_axis x, e = e^{x − m}, y = e / Σ_axis e (reduce
// block for max and sum, elementwise maps with the reduced tensors broadcast back);
// dx = y ⊙ (dy − Σ_axis dy ⊙ y).
import { reducedAxisBroadcast } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { Softmax, normalizeAxis } from './definition.js';

export const softmaxWebGpu = defineKernel(Softmax, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    const axis = normalizeAxis(attrs.axis, x.shape.length);
    const broadcast = reducedAxisBroadcast(x.shape, axis);
    const m = blocks.reduce(x, { axes: [axis], op: 'max', keepDims: true });
    const e = blocks.map({ name: 'softmax.exp', expr: 'exp(a - b)', inputs: [x, { t: m, broadcast }] });
    const s = blocks.reduce(e, { axes: [axis], keepDims: true });
    const y = blocks.map({ name: 'softmax.normalize', expr: 'a / b', inputs: [e, { t: s, broadcast }] });
    for (const t of [m, e, s]) t.dispose();
    return { outputs: [y] };
  },
  backward({ backend: { blocks }, attrs, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const axis = normalizeAxis(attrs.axis, y.shape.length);
    const prod = blocks.map({ name: 'softmax.dot', expr: 'a * b', inputs: [y, dy] });
    const dot = blocks.reduce(prod, { axes: [axis], keepDims: true });
    const dx = blocks.map({ name: 'softmax.backward', expr: 'a * (b - c)', inputs: [y, dy, { t: dot, broadcast: reducedAxisBroadcast(y.shape, axis) }] });
    prod.dispose();
    dot.dispose();
    return { dInputs: [dx] };
  },
});
