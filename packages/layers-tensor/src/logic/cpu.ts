// Comparisons, Where and CastLike on the CPU through the package's broadcast index maps.
// Less/Greater/Equal: C[i] = [A[ia[i]] < B[ib[i]]] (resp. >, =) as int32 0/1; C is piecewise
// constant in A and B, so dA = dB = 0. Where: out[i] = cond[ic[i]] ≠ 0 ? X[ix[i]] : Y[iy[i]];
// dX = Σ over the broadcast of [cond]·dout, dY = Σ of [¬cond]·dout (scatterAdd, the adjoint of
// broadcasting). CastLike with a float target: out = input, d input = dout, d target = 0.
import type { CpuBackend } from '@hubel/backend-cpu';
import { defineKernel, type BackwardResult, type Tensor } from '@hubel/core';
import { broadcastIndex, broadcastShapes, scatterAdd } from '../broadcast.js';
import { CastLike, Equal, Greater, Less, Where, type CompareOp } from './definition.js';

function compare(op: CompareOp, be: CpuBackend, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = be.alloc(shape, 'int32');
  const y = be.ints(out), x1 = be.data(a), x2 = be.data(b);
  const ia = broadcastIndex(shape, a.shape), ib = broadcastIndex(shape, b.shape);
  const n = y.length;
  switch (op) {
    case 'Less': for (let i = 0; i < n; i++) y[i] = x1[ia[i]] < x2[ib[i]] ? 1 : 0; break;
    case 'Greater': for (let i = 0; i < n; i++) y[i] = x1[ia[i]] > x2[ib[i]] ? 1 : 0; break;
    case 'Equal': for (let i = 0; i < n; i++) y[i] = x1[ia[i]] === x2[ib[i]] ? 1 : 0; break;
  }
  return out;
}

function compareKernel<D extends typeof Less>(layer: D, op: CompareOp) {
  return defineKernel(layer, 'cpu', {
    forward({ backend, inputs: [a, b] }) {
      return { outputs: [compare(op, backend, a, b)] };
    },
    backward({ backend, inputs, wants }): BackwardResult {
      return { dInputs: inputs.map((x, i) => (wants.inputs[i] ? backend.zeros(x.shape) : undefined)) };
    },
  });
}

export const lessCpu = compareKernel(Less, 'Less');
export const greaterCpu = compareKernel(Greater, 'Greater');
export const equalCpu = compareKernel(Equal, 'Equal');

export const whereCpu = defineKernel(Where, 'cpu', {
  forward({ backend, inputs: [c, x, y] }) {
    const shape = broadcastShapes(broadcastShapes(c.shape, x.shape), y.shape);
    const out = backend.alloc(shape);
    const o = backend.data(out), cs = backend.ints(c), xs = backend.data(x), ys = backend.data(y);
    const ic = broadcastIndex(shape, c.shape), ix = broadcastIndex(shape, x.shape), iy = broadcastIndex(shape, y.shape);
    for (let i = 0; i < o.length; i++) o[i] = cs[ic[i]] !== 0 ? xs[ix[i]] : ys[iy[i]];
    return { outputs: [out] };
  },
  backward({ backend, inputs: [c, x, y], outputs: [out], dOutputs: [dout], wants }): BackwardResult {
    const ic = broadcastIndex(out.shape, c.shape);
    const cs = backend.ints(c), g = backend.data(dout);
    const t = backend.alloc(out.shape);
    const local = backend.data(t);
    const grad = (operand: Tensor, taken: 0 | 1): Tensor => {
      // Local product: dout where the operand was chosen ([cond ≠ 0] equals `taken`), else 0.
      for (let i = 0; i < local.length; i++) local[i] = (cs[ic[i]] !== 0 ? 1 : 0) === taken ? g[i] : 0;
      const d = backend.alloc(operand.shape);
      scatterAdd(local, broadcastIndex(out.shape, operand.shape), backend.data(d));
      return d;
    };
    const dx = wants.inputs[1] ? grad(x, 1) : undefined;
    const dy = wants.inputs[2] ? grad(y, 0) : undefined;
    t.dispose();
    return { dInputs: [undefined, dx, dy] };
  },
});

export const castLikeCpu = defineKernel(CastLike, 'cpu', {
  forward({ backend, inputs: [x] }) {
    return { outputs: [backend.ops.copy(x)] };
  },
  backward({ backend, inputs: [, like], dOutputs: [dout], wants }) {
    return { dInputs: [wants.inputs[0] ? backend.ops.copy(dout) : undefined, wants.inputs[1] ? backend.zeros(like.shape) : undefined] };
  },
});
