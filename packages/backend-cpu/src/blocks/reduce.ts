import type { F } from './gemm.js';

/**
 * Sum over the axes of an n-d row-major array, viewed as [outer, mid, inner] runs: reducing
 * a set of axes is done one maximal run of consecutive reduced axes at a time.
 */
export function sumAxes(x: F, shape: readonly number[], axes: readonly number[], out: F): void {
  const rank = shape.length;
  const reduce = new Array<boolean>(rank).fill(false);
  for (const a of axes) reduce[a < 0 ? a + rank : a] = true;
  // Collapse to alternating kept/reduced groups.
  let cur: F = x;
  let curShape = [...shape];
  let curReduce = [...reduce];
  while (curReduce.some(Boolean)) {
    const start = curReduce.indexOf(true);
    let end = start;
    while (end < curReduce.length && curReduce[end]) end++;
    const outer = curShape.slice(0, start).reduce((a, b) => a * b, 1);
    const mid = curShape.slice(start, end).reduce((a, b) => a * b, 1);
    const inner = curShape.slice(end).reduce((a, b) => a * b, 1);
    const last = !curReduce.slice(end).some(Boolean);
    const dst: F = last ? out : new Float64Array(outer * inner);
    sumMiddle(cur, outer, mid, inner, dst);
    cur = dst;
    curShape = [...curShape.slice(0, start), ...curShape.slice(end)];
    curReduce = [...curReduce.slice(0, start), ...curReduce.slice(end)];
  }
  if (cur === x) out.set(x);
}

/** out[o, i] = Σ_m x[o, m, i]. */
export function sumMiddle(x: F, outer: number, mid: number, inner: number, out: F): void {
  for (let o = 0; o < outer; o++) {
    const ob = o * inner;
    if (inner === 1) {
      let s = 0;
      const base = o * mid;
      for (let m = 0; m < mid; m++) s += x[base + m];
      out[ob] = s;
      continue;
    }
    out.fill(0, ob, ob + inner);
    for (let m = 0; m < mid; m++) {
      const xb = (o * mid + m) * inner;
      for (let i = 0; i < inner; i++) out[ob + i] += x[xb + i];
    }
  }
}
