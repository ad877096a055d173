/**
 * Axis permutation of a row-major array: out[i0, …, i(r−1)] = x[the same indices, axes taken in
 * `perm` order], i.e. out.shape[a] = shape[perm[a]]. The last output axis is the inner loop; when
 * it is also x's last axis, rows are block copies.
 */
import type { F } from './gemm.js';

/** Writes `x` (row-major, `shape`) with its axes permuted by `perm` into `out` (a distinct array of the same size). */
export function transpose(x: F, shape: readonly number[], perm: readonly number[], out: F): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const strides = new Array<number>(rank);
  for (let a = rank - 1, s = 1; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a];
  }
  const outShape = perm.map((p) => shape[p]);
  const inStride = perm.map((p) => strides[p]);
  const inner = outShape[rank - 1];
  const innerStride = inStride[rank - 1];
  const rows = outShape.slice(0, -1).reduce((a, b) => a * b, 1);
  const idx = new Array<number>(rank - 1).fill(0);
  let src = 0;
  for (let r = 0, dst = 0; r < rows; r++, dst += inner) {
    if (innerStride === 1) out.set(x.subarray(src, src + inner), dst);
    else for (let i = 0; i < inner; i++) out[dst + i] = x[src + i * innerStride];
    // Advance the odometer over the leading output axes, keeping `src` in step.
    for (let a = rank - 2; a >= 0; a--) {
      src += inStride[a];
      if (++idx[a] < outShape[a]) break;
      src -= idx[a] * inStride[a];
      idx[a] = 0;
    }
  }
}
