// MatMul on WebGPU: Y_b = A_b·B_b for every output batch index b, one batched dispatch of the
// backend's tiled GEMM. The GEMM splits b into (b1, b2) with one offset stride per part and
// operand, which expresses numpy batch broadcasting whenever the batch axes split into two
// groups inside which each operand is either repeated (stride 0) or contiguous; other
// patterns expand the operands to the full batch first. Backward: dA_b = dY_b·B_bᵀ and
// dB_b = A_bᵀ·dY_b per output batch, summed over broadcast batch axes by the reduce block.
import type { WebGpuBackend } from '@hubel/backend-webgpu';
import { defineKernel, sizeOf, type Shape, type Tensor } from '@hubel/core';
import { broadcastAxes } from '../broadcast-webgpu.js';
import { MatMul, matmulDims } from './definition.js';

type Dims = ReturnType<typeof matmulDims>;

/**
 * Offsets (in elements) an operand with batch shape `batchX` and matrices of `matrix` elements
 * advances by per step of b1 (the output batch axes before `split`) and of b2 (the rest), or
 * undefined when its offset is not linear in them.
 */
function partStrides(batch: readonly number[], batchX: readonly number[], matrix: number, split: number): [number, number] | undefined {
  const lead = batch.length - batchX.length;
  // Per output batch axis, the operand's stride along it (0 where it is repeated).
  const strides = batch.map(() => 0);
  let s = matrix;
  for (let j = batch.length - 1; j >= lead; j--) {
    if (batchX[j - lead] !== 1) strides[j] = s;
    s *= batchX[j - lead];
  }
  const part = (lo: number, hi: number): number | undefined => {
    const axes = [...Array(hi - lo).keys()].map((i) => lo + i).filter((j) => batch[j] > 1);
    if (axes.every((j) => strides[j] === 0)) return 0;
    // Contiguous: each axis steps over exactly the next one's whole extent.
    const ok = axes.every((j, i) => strides[j] !== 0 && (i === axes.length - 1 || strides[j] === strides[axes[i + 1]] * batch[axes[i + 1]]));
    return ok ? strides[axes[axes.length - 1]] : undefined;
  };
  const s1 = part(0, split);
  const s2 = part(split, batch.length);
  return s1 === undefined || s2 === undefined ? undefined : [s1, s2];
}

/** How the GEMM walks the batches: operands (expanded copies in `temps` when needed), the split and strides. */
interface Plan {
  readonly A: Tensor;
  readonly B: Tensor;
  readonly temps: Tensor[];
  readonly count: number;
  readonly inner: number;
  readonly strideA: [number, number];
  readonly strideB: [number, number];
}

function plan(be: WebGpuBackend, a: Tensor, b: Tensor, d: Dims): Plan {
  const { batch, batchA, batchB, m, k, n } = d;
  const count = sizeOf(batch);
  for (let split = 0; split <= batch.length; split++) {
    const sa = partStrides(batch, batchA, m * k, split);
    const sb = partStrides(batch, batchB, k * n, split);
    if (sa && sb) return { A: a, B: b, temps: [], count, inner: sizeOf(batch.slice(split)), strideA: sa, strideB: sb };
  }
  // No split fits (batch axes that alternate between the operands' repeats): materialize both.
  const A = be.blocks.expand(a, [...batch, m, k], [...batchA, m, k]);
  const B = be.blocks.expand(b, [...batch, k, n], [...batchB, k, n]);
  return { A, B, temps: [A, B], count, inner: count, strideA: [0, m * k], strideB: [0, k * n] };
}

export const matmulWebGpu = defineKernel(MatMul, 'webgpu', {
  forward({ backend, inputs: [a, b] }) {
    const d = matmulDims(a.shape, b.shape);
    const p = plan(backend, a, b, d);
    const { m, k, n } = d;
    const y = backend.blocks.gemmBatched({
      a: p.A, b: p.B, m, n, k, batch: p.count, inner: p.inner,
      strideA: p.strideA, strideB: p.strideB, strideC: [p.inner * m * n, m * n], outShape: d.out,
    });
    for (const t of p.temps) t.dispose();
    return { outputs: [y] };
  },
  backward({ backend, inputs: [a, b], dOutputs: [dy], wants }) {
    const d = matmulDims(a.shape, b.shape);
    const p = plan(backend, a, b, d);
    const { batchA, batchB, m, k, n } = d;
    const strideY: [number, number] = [p.inner * m * n, m * n];
    const dA = wants.inputs[0]
      ? operandGrad(backend, a, [...batchA, m, k], d, p.count, (outShape) =>
          backend.blocks.gemmBatched({
            a: dy, b: p.B, m, n: k, k: n, transB: true, batch: p.count, inner: p.inner,
            strideA: strideY, strideB: p.strideB, strideC: [p.inner * m * k, m * k], outShape,
          }))
      : undefined;
    const dB = wants.inputs[1]
      ? operandGrad(backend, b, [...batchB, k, n], d, p.count, (outShape) =>
          backend.blocks.gemmBatched({
            a: p.A, b: dy, m: k, n, k: m, transA: true, batch: p.count, inner: p.inner,
            strideA: p.strideA, strideB: strideY, strideC: [p.inner * k * n, k * n], outShape,
          }))
      : undefined;
    for (const t of p.temps) t.dispose();
    return { dInputs: [dA, dB] };
  },
});

/**
 * The gradient of operand x (batched shape `xBatched`: 1-D operands promoted) from `gemm`,
 * which writes one matrix per output batch into a tensor of the shape it is given: x's own
 * shape when x is not repeated over any batch axis, else the full batch, summed over the
 * repeated axes by the reduce block.
 */
function operandGrad(be: WebGpuBackend, x: Tensor, xBatched: Shape, d: Dims, count: number, gemm: (outShape: Shape) => Tensor): Tensor {
  if (x.size === count * sizeOf(xBatched.slice(-2))) return gemm(x.shape);
  const full = gemm([...d.batch, ...xBatched.slice(-2)]);
  const g = be.blocks.reduce(full, { axes: broadcastAxes(full.shape, xBatched), outShape: x.shape });
  full.dispose();
  return g;
}
