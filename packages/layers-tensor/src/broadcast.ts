// Numpy broadcasting as index maps, the one loop every elementwise, reduction and MatMul
// kernel of this package shares: idx[i] is the flat index in the operand (shape right-aligned
// against the output, size-1 axes repeated) that output element i reads. Forward gathers
// through idx; the adjoint (backward of a broadcast, forward of a sum-reduction) scatter-adds.
import type { Shape } from '@hubel/core';

/** The numpy broadcast of two shapes; throws a plain message when an axis pair is neither equal nor 1. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (axis ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

const cache = new Map<string, Int32Array>();
const CACHE_ENTRIES = 64;

/**
 * For every element of `outShape` (row-major), the flat index of the element of `inShape` it
 * reads under broadcasting. Cached per shape pair: a training loop builds each map once.
 */
export function broadcastIndex(outShape: Shape, inShape: Shape): Int32Array {
  const key = `${outShape.join(',')}|${inShape.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const r = outShape.length;
  let n = 1;
  for (const d of outShape) n *= d;
  // Stride of each output axis in the operand: 0 where the operand has size 1 (or no such axis).
  const strides = new Array<number>(r).fill(0);
  let s = 1;
  for (let i = r - 1, j = inShape.length - 1; i >= 0; i--, j--) {
    if (j >= 0) {
      strides[i] = inShape[j] === 1 ? 0 : s;
      s *= inShape[j];
    }
  }
  const idx = new Int32Array(n);
  const counter = new Array<number>(r).fill(0);
  let at = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = at;
    // Odometer increment from the last axis.
    for (let k = r - 1; k >= 0; k--) {
      counter[k]++;
      at += strides[k];
      if (counter[k] < outShape[k]) break;
      at -= strides[k] * counter[k];
      counter[k] = 0;
    }
  }
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, idx);
  return idx;
}

/** out ← 0, then out[idx[i]] += g[i]: sums a broadcast gradient (or a tensor) onto the smaller shape. */
export function scatterAdd(g: ArrayLike<number>, idx: Int32Array, out: Float32Array | Float64Array): void {
  out.fill(0);
  for (let i = 0; i < idx.length; i++) out[idx[i]] += g[i];
}

/** out[i] = x[idx[i]]: broadcasts x to the index map's shape. */
export function gather(x: ArrayLike<number>, idx: Int32Array, out: Float32Array | Float64Array): void {
  for (let i = 0; i < idx.length; i++) out[i] = x[idx[i]];
}
