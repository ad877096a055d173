// Binary elementwise ops on the CPU through the package's shared broadcast index maps:
// C[i] = A[ia[i]] ∘ B[ib[i]]. Backward forms the local products (dA = dC·∂C/∂A, dB = dC·∂C/∂B)
// per output element, then sums them back onto each operand's shape (scatterAdd, the adjoint
// of broadcasting). Add: 1, 1. Sub: 1, −1. Mul: B, A. Div: 1/B, −A/B². Pow: B·A^(B−1), C·ln A.
// Max/Min: [A wins], [B wins] with ties going to A (NaN propagates, as in ONNX).
import type { CpuBackend } from '@hubel/backend-cpu';
import { defineKernel, type BackwardResult, type Tensor } from '@hubel/core';
import { broadcastIndex, broadcastShapes, scatterAdd } from '../broadcast.js';
import { Add, Div, Max, Min, Mul, Pow, Sub, type BinaryOp } from './binary.js';

type F = Float32Array | Float64Array;

function forward(op: BinaryOp, be: CpuBackend, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = be.alloc(shape);
  const y = be.data(out), x1 = be.data(a), x2 = be.data(b);
  const ia = broadcastIndex(shape, a.shape), ib = broadcastIndex(shape, b.shape);
  const n = y.length;
  switch (op) {
    case 'Add': for (let i = 0; i < n; i++) y[i] = x1[ia[i]] + x2[ib[i]]; break;
    case 'Sub': for (let i = 0; i < n; i++) y[i] = x1[ia[i]] - x2[ib[i]]; break;
    case 'Mul': for (let i = 0; i < n; i++) y[i] = x1[ia[i]] * x2[ib[i]]; break;
    case 'Div': for (let i = 0; i < n; i++) y[i] = x1[ia[i]] / x2[ib[i]]; break;
    case 'Pow': for (let i = 0; i < n; i++) y[i] = Math.pow(x1[ia[i]], x2[ib[i]]); break;
    case 'Max': for (let i = 0; i < n; i++) y[i] = Math.max(x1[ia[i]], x2[ib[i]]); break;
    case 'Min': for (let i = 0; i < n; i++) y[i] = Math.min(x1[ia[i]], x2[ib[i]]); break;
  }
  return out;
}

/** ∂C/∂A (which = 0) or ∂C/∂B (which = 1) per output element, times dC, into `t`. */
function localGrad(op: BinaryOp, which: 0 | 1, g: F, x1: F, x2: F, y: F, ia: Int32Array, ib: Int32Array, t: F): void {
  const n = t.length;
  switch (op) {
    case 'Add': t.set(g); break;
    case 'Sub': if (which === 0) t.set(g); else for (let i = 0; i < n; i++) t[i] = -g[i]; break;
    case 'Mul':
      if (which === 0) for (let i = 0; i < n; i++) t[i] = g[i] * x2[ib[i]];
      else for (let i = 0; i < n; i++) t[i] = g[i] * x1[ia[i]];
      break;
    case 'Div':
      if (which === 0) for (let i = 0; i < n; i++) t[i] = g[i] / x2[ib[i]];
      else for (let i = 0; i < n; i++) { const d = x2[ib[i]]; t[i] = (-g[i] * x1[ia[i]]) / (d * d); }
      break;
    case 'Pow':
      if (which === 0) for (let i = 0; i < n; i++) { const e = x2[ib[i]]; t[i] = g[i] * e * Math.pow(x1[ia[i]], e - 1); }
      else for (let i = 0; i < n; i++) { const base = x1[ia[i]]; t[i] = base > 0 ? g[i] * y[i] * Math.log(base) : 0; }
      break;
    case 'Max':
    case 'Min': {
      // The winner is whichever operand equals the output; A on ties.
      if (which === 0) for (let i = 0; i < n; i++) t[i] = x1[ia[i]] === y[i] ? g[i] : 0;
      else for (let i = 0; i < n; i++) t[i] = x1[ia[i]] !== y[i] ? g[i] : 0;
      break;
    }
  }
}

function binaryKernel<D extends typeof Add>(layer: D, op: BinaryOp) {
  return defineKernel(layer, 'cpu', {
    forward({ backend, inputs: [a, b] }) {
      return { outputs: [forward(op, backend, a, b)] };
    },
    backward({ backend, inputs, outputs: [c], dOutputs: [dc], wants }): BackwardResult {
      const [a, b] = inputs;
      const ia = broadcastIndex(c.shape, a.shape), ib = broadcastIndex(c.shape, b.shape);
      const t = backend.alloc(c.shape);
      const dIn = inputs.map((x, which) => {
        if (!wants.inputs[which]) return undefined;
        localGrad(op, which as 0 | 1, backend.data(dc), backend.data(a), backend.data(b), backend.data(c), ia, ib, backend.data(t));
        const dx = backend.alloc(x.shape);
        scatterAdd(backend.data(t), which === 0 ? ia : ib, backend.data(dx));
        return dx;
      });
      t.dispose();
      return { dInputs: dIn };
    },
  });
}

export const addCpu = binaryKernel(Add, 'Add');
export const subCpu = binaryKernel(Sub, 'Sub');
export const mulCpu = binaryKernel(Mul, 'Mul');
export const divCpu = binaryKernel(Div, 'Div');
export const powCpu = binaryKernel(Pow, 'Pow');
export const maxCpu = binaryKernel(Max, 'Max');
export const minCpu = binaryKernel(Min, 'Min');
