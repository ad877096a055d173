import { availableCpuKernels, cpuKernels, createCpuBackend, gemm, gemmThreads, gemmThreadsReady, gemmThreadsReason, gemmThreadStats, setCpuKernels, setGemmThreads } from '@hubel/backend-cpu';
import { heap, residency } from './wasm-kernels.js';
import { Rng } from '@hubel/core';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Plain triple loop on float64: C = α·op(A)·op(B) + β·C0, A and B stored with leading dimensions lda/ldb. */
function reference(o: { m: number; n: number; k: number; a: ArrayLike<number>; b: ArrayLike<number>; c0: ArrayLike<number>; lda: number; ldb: number; ldc: number; aOff: number; bOff: number; cOff: number; transA: boolean; transB: boolean; alpha: number; beta: number }) {
  const c = Float64Array.from(o.c0);
  for (let i = 0; i < o.m; i++)
    for (let j = 0; j < o.n; j++) {
      let s = 0;
      for (let p = 0; p < o.k; p++) {
        const av = o.transA ? o.a[o.aOff + p * o.lda + i] : o.a[o.aOff + i * o.lda + p];
        const bv = o.transB ? o.b[o.bOff + j * o.ldb + p] : o.b[o.bOff + p * o.ldb + j];
        s += av * bv;
      }
      const at = o.cOff + i * o.ldc + j;
      c[at] = o.alpha * s + (o.beta === 0 ? 0 : o.beta * c[at]);
    }
  return c;
}

function check(m: number, n: number, k: number, o: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number; pad?: number; dtype?: 'float32' | 'float64'; seed: number }) {
  const r = new Rng(o.seed);
  const transA = o.transA ?? false, transB = o.transB ?? false, alpha = o.alpha ?? 1, beta = o.beta ?? 0, pad = o.pad ?? 0;
  const lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
  const aOff = pad, bOff = 2 * pad, cOff = 3 * pad;
  // Draw in float64, then store in the precision under test.
  const draw = (n: number) => { const v = Float64Array.from({ length: n }, () => r.normal()); return o.dtype === 'float32' ? Float32Array.from(v) : v; };
  const a = draw(aOff + (transA ? k : m) * lda);
  const b = draw(bOff + (transB ? n : k) * ldb);
  const c = draw(cOff + m * ldc);
  const ref = reference({ m, n, k, a, b, c0: c, lda, ldb, ldc, aOff, bOff, cOff, transA, transB, alpha, beta });
  gemm({ m, n, k, a, b, c, lda, ldb, ldc, aOffset: aOff, bOffset: bOff, cOffset: cOff, transA, transB, alpha, beta });
  // Summation-order error ≤ k·u·Σ|terms| (u = 2⁻⁵³ float64, 2⁻²⁴ float32). Here k ≤ 300 and Σ|terms|
  // ≤ ~k·E|ab| ≈ 0.64k ≈ 200 for N(0,1) entries: float64 ≲ 300·1.1e-16·200 ≈ 7e-12. Float32 (k = 129,
  // Σ|terms| ≈ 85): the TypeScript path sums in float64 and rounds C once (≈ 1e-5); the wasm paths
  // sum in float32, ≤ 129·6e-8·85 ≈ 7e-4 in the worst case.
  const tol = o.dtype === 'float32' ? 2e-3 : 1e-10;
  let worst = 0;
  for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - ref[i]));
  expect(worst, `m=${m} n=${n} k=${k} ${JSON.stringify(o)}`).toBeLessThan(tol);
  // Entries outside the m×n window of C (its padding) are untouched.
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) expect(c[cOff + i * ldc + j]).toBe(ref[cOff + i * ldc + j]);
}

// Every float32 kernel path this engine has (wasm relaxed SIMD where enabled, wasm SIMD, TypeScript);
// float64 always runs the TypeScript path.
describe.each(availableCpuKernels())('gemm against a plain triple loop (%s kernels)', (kernels) => {
  const before = cpuKernels();
  beforeAll(() => setCpuKernels(kernels));
  afterAll(() => {
    setGemmThreads(Math.max(1, Math.min(4, availableParallelism())));
    setCpuKernels(before);
  });
  for (const transA of [false, true])
    for (const transB of [false, true])
      it(`transA=${transA} transB=${transB}, sizes not multiples of the 3×4 tile or cache blocks, α=0.7 β=−1.3, strided with offsets`, () => {
        for (const [m, n, k] of [[1, 1, 1], [5, 7, 3], [13, 9, 300], [130, 6, 257], [3, 1030, 17]]) {
          check(m, n, k, { transA, transB, alpha: 0.7, beta: -1.3, pad: 3, seed: m * 1000 + n + k });
        }
      });
  it('β = 0 overwrites C even when it holds NaN; k = 0 gives β·C', () => {
    const c = new Float64Array(4).fill(NaN);
    gemm({ m: 2, n: 2, k: 3, a: Float64Array.of(1, 2, 3, 4, 5, 6), b: Float64Array.of(1, 0, 0, 1, 1, 1), c });
    expect(Array.from(c)).toEqual([1 + 3, 2 + 3, 4 + 6, 5 + 6]);
    const c2 = Float64Array.of(1, 2);
    gemm({ m: 1, n: 2, k: 0, a: new Float64Array(0), b: new Float64Array(0), c: c2, beta: 2 });
    expect(Array.from(c2)).toEqual([2, 4]);
  });
  it('float32 inputs and output', () => check(37, 45, 129, { dtype: 'float32', alpha: 1.5, beta: 0.5, seed: 5 }));
  it('large products on several threads give bitwise the same C as one thread (float32 and float64, β = 0.5 and 0)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [transA, transB, beta] of [[false, false, 0.5], [true, true, 0.5], [false, true, 0]] as const) {
        const [m, n, k] = [70, 301, 250]; // 5.3M multiply-adds: above the threading threshold
        const r = new Rng(9);
        const draw = (len: number) => { const v = Float64Array.from({ length: len }, () => r.normal()); return dtype === 'float32' ? Float32Array.from(v) : v; };
        const a = draw(m * k), b = draw(k * n);
        const c0 = draw(m * n);
        const results = [1, 2, 3].map((threads) => {
          setGemmThreads(threads);
          const c = c0.slice();
          gemm({ m, n, k, a, b, c, transA, transB, beta });
          return { threads: gemmThreads(), c };
        });
        expect(results[1].threads, 'workers started').toBe(2);
        expect(Array.from(results[1].c)).toEqual(Array.from(results[0].c));
        expect(Array.from(results[2].c)).toEqual(Array.from(results[0].c));
        const ref = reference({ m, n, k, a, b, c0, lda: transA ? m : k, ldb: transB ? k : n, ldc: n, aOff: 0, bOff: 0, cOff: 0, transA, transB, alpha: 1, beta });
        // The bound above with k = 250, Σ|terms| ≈ 160: float32 ≲ 250·6e-8·160 ≈ 2.4e-3, float64 ≈ 4e-12.
        const tol = dtype === 'float32' ? 5e-3 : 1e-10;
        expect(Math.max(...Array.from(results[0].c, (v, i) => Math.abs(v - ref[i])))).toBeLessThan(tol);
      }
    }
  });
  it('operands in SharedArrayBuffers (offsets, strides, transposes) are computed in place by the workers, bitwise as on one thread', () => {
    const [m, n, k, pad] = [61, 290, 300, 5]; // 5.3M multiply-adds: threaded
    for (const [transA, transB, beta] of [[false, false, 0], [true, false, 0.5], [false, true, 1]] as const) {
      const r = new Rng(21);
      const sharedArray = (len: number, fill: boolean) => {
        const v = new Float32Array(new SharedArrayBuffer(4 * (len + 2 * pad)), 4 * pad, len + pad);
        if (fill) for (let i = 0; i < v.length; i++) v[i] = r.normal();
        return v;
      };
      const lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 4;
      const a = sharedArray((transA ? k : m) * lda, true), b = sharedArray((transB ? n : k) * ldb, true);
      const c0 = Float32Array.from(sharedArray(m * ldc, true));
      const run = (threads: number) => {
        setGemmThreads(threads);
        const c = sharedArray(m * ldc, false);
        c.set(c0);
        // β = 0 must clear C, never read it: poison the window of C with NaN.
        if (beta === 0) for (let i = 0; i < m; i++) c.fill(NaN, 3 + i * ldc, 3 + i * ldc + n);
        gemm({ m, n, k, a, b, c, aOffset: 2, bOffset: 1, cOffset: 3, lda, ldb, ldc, transA, transB, beta, alpha: 0.5 });
        return Array.from(c);
      };
      const one = run(1);
      const before = gemmThreadStats();
      expect(run(2)).toEqual(one);
      expect(gemmThreadStats().inPlace, 'ran in place').toBe(before.inPlace + 1);
      expect(gemmThreadStats().copied).toBe(before.copied);
      const ref = reference({ m, n, k, a, b, c0, lda, ldb, ldc, aOff: 2, bOff: 1, cOff: 3, transA, transB, alpha: 0.5, beta });
      // Σ|terms| ≈ 0.5·300·0.8 ≈ 120 at k = 300: float32 rounding ≲ 300·6e-8·120 ≈ 2e-3.
      expect(Math.max(...one.map((v, i) => Math.abs(v - ref[i])))).toBeLessThan(5e-3);
    }
  });
  it('column strips share one packing of A per thread (several MC blocks and KC slices, ragged edges), and an A too large for that packs per block: bitwise as on one thread', () => {
    // 130×300: two MC blocks (126 + 4 rows; wasm: 120 + 10) and two KC slices (256 + 44) packed whole;
    // 100×21000 packs to 102·21000 > 2²¹ doubles (TypeScript's PACK_ALL_MAX), and 210×21000 to more
    // than 2²² floats (the wasm limit), so every strip packs its own blocks.
    for (const [m, n, k, transA] of [[130, 310, 300, false], [130, 310, 300, true], [100, 121, 21000, false], [210, 41, 21000, true]] as const) {
      const r = new Rng(m + k);
      const a = Float32Array.from({ length: m * k }, () => r.normal()), b = Float32Array.from({ length: k * n }, () => r.normal());
      const run = (threads: number) => {
        setGemmThreads(threads);
        const c = new Float32Array(m * n);
        gemm({ m, n, k, a, b, c, transA, alpha: 0.75 });
        return c;
      };
      const one = run(1);
      expect(Array.from(run(2)), `${m}×${n}×${k} transA=${transA}`).toEqual(Array.from(one));
      const ref = reference({ m, n, k, a, b, c0: new Float64Array(m * n), lda: transA ? m : k, ldb: n, ldc: n, aOff: 0, bOff: 0, cOff: 0, transA, transB: false, alpha: 0.75, beta: 0 });
      // TypeScript path: float32 storage of C between the KC slices, ≲ (k/256 + 1)·6e-8·|C| plus float64
      // sums; |C| ≲ 0.75·√k·4 (4σ): at k = 21000 ~83·6e-8·435 ≈ 2e-3 at worst; at k = 300, ≈ 1e-5. The
      // wasm paths sum in float32: k roundings of partial sums of size ~0.75·√p add as a random walk,
      // ≈ 6e-8·0.75·k, times 4 for 4σ: ≈ 5e-5 at k = 300, ≈ 4e-3 at k = 21000.
      expect(Math.max(...Array.from(one, (v, i) => Math.abs(v - ref[i])))).toBeLessThan(k > 1000 ? 5e-3 : 1e-4);
    }
  });
  it('rejects a non-positive thread count', () => {
    expect(() => setGemmThreads(0)).toThrowError(/setGemmThreads: expected a positive integer, found 0/);
  });
  it('gemmThreadsReady() on Node: the workers start at once, and it resolves to the threads in use, with no reason given', async () => {
    setGemmThreads(2);
    expect(await gemmThreadsReady()).toBe(2);
    expect(gemmThreads()).toBe(2);
    expect(gemmThreadsReason()).toBeUndefined();
    expect(createCpuBackend().description).toMatch(/, 2 threads\)$/);
    // One thread asked for: nothing to wait for, nothing to explain.
    setGemmThreads(1);
    expect(await gemmThreadsReady()).toBe(1);
    expect(gemmThreadsReason()).toBeUndefined();
    expect(createCpuBackend().description).toMatch(/, 1 thread\)$/);
  });
});

// Tensors of a CPU backend live in the wasm heap (where it is shared): the kernels pack and add
// them by address. Same checks as above, on heap-resident operands with offsets and strides.
describe.each(availableCpuKernels().filter((k) => k !== 'ts'))('gemm on operands in the wasm heap (%s kernels)', (kernels) => {
  const before = cpuKernels();
  beforeAll(() => setCpuKernels(kernels));
  afterAll(() => {
    setGemmThreads(Math.max(1, Math.min(4, availableParallelism())));
    setCpuKernels(before);
  });
  const be = createCpuBackend();
  const inHeap = (len: number, r: Rng) => {
    const t = be.alloc([len]);
    const v = be.data(t) as Float32Array;
    for (let i = 0; i < len; i++) v[i] = r.normal();
    return v;
  };
  it('backend tensors are in the heap, and residency sees them', () => {
    const r = new Rng(1);
    const x = inHeap(10, r), plain = new Float32Array(10);
    expect(heap?.shared).toBe(true);
    expect(residency(x, x, x)).toBe(7);
    expect(residency(plain, x, plain)).toBe(2);
  });
  for (const transA of [false, true])
    for (const transB of [false, true])
      it(`transA=${transA} transB=${transB}: ragged sizes, α=0.7 β=−1.3, offsets and strides; equal to the TypeScript path within float32 summation error`, () => {
        for (const [m, n, k] of [[1, 1, 1], [5, 7, 3], [13, 9, 300], [130, 6, 257], [3, 1030, 17], [67, 45, 5], [9, 17, 7]]) {
          const r = new Rng(m * 7 + n * 3 + k);
          const pad = 3;
          const lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
          const a = inHeap(pad + (transA ? k : m) * lda, r), b = inHeap(2 * pad + (transB ? n : k) * ldb, r), c = inHeap(3 * pad + m * ldc, r);
          const c0 = Float64Array.from(c);
          const args = { m, n, k, a, b, lda, ldb, ldc, aOffset: pad, bOffset: 2 * pad, cOffset: 3 * pad, transA, transB, alpha: 0.7, beta: -1.3 };
          gemm({ ...args, c });
          const ref = reference({ m, n, k, a, b, c0, lda, ldb, ldc, aOff: pad, bOff: 2 * pad, cOff: 3 * pad, transA, transB, alpha: 0.7, beta: -1.3 });
          // As in check(): float32 sums of k ≤ 300 N(0,1) products, ≤ 300·6e-8·200·0.7 ≈ 2.5e-3 worst case.
          const worst = Math.max(...Array.from(c, (v, i) => Math.abs(v - ref[i])));
          expect(worst, `${m}×${n}×${k}`).toBeLessThan(3e-3);
          // Outside C's window (its padding and the leading offset) nothing changed.
          for (let i = 0; i < 3 * pad; i++) expect(c[i]).toBe(Math.fround(c0[i]));
          for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) expect(c[3 * pad + i * ldc + j]).toBe(Math.fround(c0[3 * pad + i * ldc + j]));
        }
      });
  it('a row of C does not depend on how many rows the product has (1–3 rows read Bᵀ in place, more are packed)', () => {
    const r = new Rng(5);
    for (const [n, k] of [[37, 600], [8, 3], [1031, 257]]) {
      const a = inHeap(7 * k, r), b = inHeap(n * k, r);
      const run = (rows: number) => {
        const c = inHeap(rows * n, r).fill(0.25);
        gemm({ m: rows, n, k, a, b, c, transB: true, alpha: 0.7, beta: 1 });
        return Array.from(c.subarray(0, n));
      };
      const first = run(7);
      for (const rows of [1, 2, 3, 4]) expect(run(rows), `${rows} rows, n=${n} k=${k}`).toEqual(first);
    }
  });
  it('heap operands mixed with ordinary arrays, on one and two threads: bitwise the same C, also with A too large to pack whole', () => {
    // The 1- and 3-row products read op(B) in place (gemv) and are split across threads by columns.
    for (const [m, n, k, transA, transB] of [[70, 301, 250, false, false], [61, 290, 300, true, true], [210, 41, 21000, true, false], [300, 70, 250, false, true], [1, 9001, 600, false, true], [3, 5003, 601, false, false]] as const) {
      const r = new Rng(m + n + k);
      const a = inHeap(m * k, r), b = inHeap(k * n, r);
      const bPlain = Float32Array.from(b);
      // β = 0 with C in the heap sums whole tiles straight into C; with C plain, through scratch.
      const results = [1, 2].flatMap((threads) =>
        [[b, true], [bPlain, true], [b, false]].map(([bb, cInHeap]) => {
          setGemmThreads(threads);
          const c = cInHeap ? inHeap(m * n, r).fill(NaN) : new Float32Array(m * n).fill(NaN);
          gemm({ m, n, k, a, b: bb as Float32Array, c, transA, transB, alpha: 0.75 });
          return Array.from(c);
        }),
      );
      // One and two threads × (B in the heap, B plain, C plain): neither the thread count nor where
      // B and C live (packed in wasm or in JavaScript, read in place, summed into C or scratch)
      // changes a bit.
      for (const x of results.slice(1)) expect(x, `${m}×${n}×${k}`).toEqual(results[0]);
      const ref = reference({ m, n, k, a, b, c0: new Float64Array(m * n), lda: transA ? m : k, ldb: transB ? k : n, ldc: n, aOff: 0, bOff: 0, cOff: 0, transA, transB, alpha: 0.75, beta: 0 });
      // Float32 sums as a random walk (see above): ≈ 6e-8·0.75·k·4 → 5e-5 at k = 300, 4e-3 at k = 21000.
      expect(Math.max(...results[0].map((v, i) => Math.abs(v - ref[i])))).toBeLessThan(k > 1000 ? 5e-3 : 1e-4);
    }
  });
});
