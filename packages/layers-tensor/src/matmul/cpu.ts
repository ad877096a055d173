// MatMul on the CPU: for each output batch index, Y_b = A_{ia[b]}·B_{ib[b]} through the
// backend's GEMM block (ia, ib: the shared broadcast index maps over the batch axes).
// Backward: dA_{ia[b]} += dY_b·B_{ib[b]}ᵀ and dB_{ib[b]} += A_{ia[b]}ᵀ·dY_b, summed over the
// batches that broadcast onto the same operand slice.
import type { CpuBackend } from '@hubel/backend-cpu';
import { defineKernel, type Tensor } from '@hubel/core';
import { broadcastIndex } from '../broadcast.js';
import { MatMul, matmulDims } from './definition.js';

/** A [rows, cols] copy of the slice of `src` starting at matrix `index`. */
function slice(be: CpuBackend, src: Tensor, index: number, rows: number, cols: number): Tensor {
  const t = be.alloc([rows, cols]);
  const size = rows * cols;
  be.data(t).set(be.data(src).subarray(index * size, (index + 1) * size));
  return t;
}

export const matmulCpu = defineKernel(MatMul, 'cpu', {
  forward({ backend, inputs: [a, b] }) {
    const { batchA, batchB, batch, m, k, n, out } = matmulDims(a.shape, b.shape);
    const y = backend.alloc(out);
    const ia = broadcastIndex(batch, batchA), ib = broadcastIndex(batch, batchB);
    const ys = backend.data(y);
    for (let bi = 0; bi < ia.length; bi++) {
      const A = slice(backend, a, ia[bi], m, k), B = slice(backend, b, ib[bi], k, n);
      const Y = backend.blocks.gemm(A, B);
      ys.set(backend.data(Y), bi * m * n);
      A.dispose(), B.dispose(), Y.dispose();
    }
    return { outputs: [y] };
  },
  backward({ backend, inputs: [a, b], dOutputs: [dy], wants }) {
    const { batchA, batchB, batch, m, k, n } = matmulDims(a.shape, b.shape);
    const ia = broadcastIndex(batch, batchA), ib = broadcastIndex(batch, batchB);
    const dA = wants.inputs[0] ? backend.zeros(a.shape) : undefined;
    const dB = wants.inputs[1] ? backend.zeros(b.shape) : undefined;
    for (let bi = 0; bi < ia.length; bi++) {
      const G = slice(backend, dy, bi, m, n);
      if (dA) {
        const B = slice(backend, b, ib[bi], k, n);
        const g = backend.blocks.gemm(G, B, { transB: true });
        const dst = backend.data(dA), src = backend.data(g), off = ia[bi] * m * k;
        for (let i = 0; i < src.length; i++) dst[off + i] += src[i];
        B.dispose(), g.dispose();
      }
      if (dB) {
        const A = slice(backend, a, ia[bi], m, k);
        const g = backend.blocks.gemm(A, G, { transA: true });
        const dst = backend.data(dB), src = backend.data(g), off = ib[bi] * k * n;
        for (let i = 0; i < src.length; i++) dst[off + i] += src[i];
        A.dispose(), g.dispose();
      }
      G.dispose();
    }
    return { dInputs: [dA, dB] };
  },
});
