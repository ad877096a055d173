// Reductions on the CPU through the shared broadcast index map from x to the keepdims shape
// (idx[i] = the output element x[i] reduces into). Sum: y[idx[i]] += x[i], dx[i] = dy[idx[i]].
// Mean: the same scaled by 1/count. Max: y = max over each group; dx = dy at the group's first
// maximum (its index saved by forward), 0 elsewhere.
import type {} from '@hubel/backend-cpu';
import { defineKernel, sizeOf } from '@hubel/core';
import { broadcastIndex, gather, scatterAdd } from '../broadcast.js';
import { ReduceMax, ReduceMean, ReduceSum, keptShape, reducedAxes, type ReduceOp } from './definition.js';

function reduceKernel<D extends typeof ReduceSum>(layer: D, op: ReduceOp) {
  return defineKernel(layer, 'cpu', {
    forward({ backend, attrs, inputs: [x] }) {
      const axes = reducedAxes(attrs, x.shape.length);
      const shape = layer.inferShapes(attrs, [x.shape])[0];
      const out = backend.alloc(shape);
      const xs = backend.data(x), y = backend.data(out);
      if (!axes) {
        y.set(xs);
        return { outputs: [out] };
      }
      const idx = broadcastIndex(x.shape, keptShape(x.shape, axes));
      if (op !== 'ReduceMax') {
        scatterAdd(xs, idx, y);
        if (op === 'ReduceMean') {
          const inv = y.length / xs.length;
          for (let i = 0; i < y.length; i++) y[i] *= inv;
        }
        return { outputs: [out] };
      }
      const arg = new Int32Array(y.length).fill(-1);
      y.fill(-Infinity);
      for (let i = 0; i < xs.length; i++) {
        const o = idx[i];
        const v = xs[i];
        // The first element starts a group; a larger one or a NaN replaces it (NaN wins, as in ONNX).
        if (arg[o] < 0 || v > y[o] || (v !== v && y[o] === y[o])) {
          y[o] = v;
          arg[o] = i;
        }
      }
      return { outputs: [out], saved: { arg } };
    },
    backward({ backend, attrs, inputs: [x], dOutputs: [dy], saved, wants }) {
      if (!wants.inputs[0]) return { dInputs: [undefined] };
      const axes = reducedAxes(attrs, x.shape.length);
      const out = backend.alloc(x.shape);
      const g = backend.data(dy), dx = backend.data(out);
      if (!axes) {
        dx.set(g);
        return { dInputs: [out] };
      }
      if (op === 'ReduceMax') {
        const arg = saved.arg as Int32Array;
        dx.fill(0);
        for (let o = 0; o < arg.length; o++) dx[arg[o]] = g[o];
        return { dInputs: [out] };
      }
      gather(g, broadcastIndex(x.shape, keptShape(x.shape, axes)), dx);
      if (op === 'ReduceMean') {
        const inv = sizeOf(dy.shape) / x.size;
        for (let i = 0; i < dx.length; i++) dx[i] *= inv;
      }
      return { dInputs: [out] };
    },
  });
}

export const reduceSumCpu = reduceKernel(ReduceSum, 'ReduceSum');
export const reduceMeanCpu = reduceKernel(ReduceMean, 'ReduceMean');
export const reduceMaxCpu = reduceKernel(ReduceMax, 'ReduceMax');
