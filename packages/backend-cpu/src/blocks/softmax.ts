/**
 * Log-softmax along one axis of an array viewed as [outer, len, inner] (the axis is the middle
 * one): out = x − m − log Σ e^{x − m} with m the maximum along the axis, so no e^· overflows.
 * Softmax (exp of it), log-softmax and the fused softmax cross-entropy all start here.
 */
import type { F } from './gemm.js';

/** Writes log-softmax of `x`, viewed as [outer, len, inner], along the middle axis into `out` (which may be `x` itself). */
export function logSoftmaxAxis(x: F, outer: number, len: number, inner: number, out: F): void {
  const stride = len * inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * stride + i;
      const end = base + stride;
      let max = -Infinity;
      for (let j = base; j < end; j += inner) if (x[j] > max) max = x[j];
      let sum = 0;
      for (let j = base; j < end; j += inner) sum += Math.exp(x[j] - max);
      const shift = max + Math.log(sum);
      for (let j = base; j < end; j += inner) out[j] = x[j] - shift;
    }
  }
}
