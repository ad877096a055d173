// The CPU backend's one GEMM against a float64 triple loop, in Chromium, on every kernel path the
// engine offers: WebAssembly relaxed SIMD, WebAssembly SIMD and the TypeScript reference; plain
// arrays (outside the wasm heap) and backend tensors (inside it, where the kernels address them).
import { availableCpuKernels, createCpuBackend, gemm, type CpuKernels } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

const SEED = 17;

/** C = α·op(A)·op(B) + β·C0 in float64, and Σ|terms| per element for the error bound. */
function reference(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c0: Float32Array, o: { transA: boolean; transB: boolean; alpha: number; beta: number }) {
  const c = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = (o.transA ? a[p * m + i] : a[i * k + p]) * (o.transB ? b[j * k + p] : b[p * n + j]);
        s += t;
        abs += Math.abs(t);
      }
      c[i * n + j] = o.alpha * s + o.beta * c0[i * n + j];
      mag[i * n + j] = Math.abs(o.alpha) * abs + Math.abs(o.beta * c0[i * n + j]);
    }
  return { c, mag };
}

/**
 * Each float32 element sums k products (blocked, maybe fused): its error is at most
 * γ_(k+2)·Σ|terms| (Higham, Thm 3.1; +2 for α and β), γ_n = n·u/(1 − n·u), u = 2⁻²⁴. Checked
 * per element against its own Σ|terms|, so cancellation cannot hide a wrong term.
 */
function check(got: Float32Array, ref: { c: Float64Array; mag: Float64Array }, k: number, label: string): void {
  const u = 2 ** -24;
  const gamma = ((k + 2) * u) / (1 - (k + 2) * u);
  for (let i = 0; i < ref.c.length; i++) {
    const err = Math.abs(got[i] - ref.c[i]);
    if (!(err <= gamma * ref.mag[i] + 1e-30)) throw new Error(`${label}: C[${i}] = ${got[i]}, float64 reference ${ref.c[i]} (error ${err}, bound ${gamma * ref.mag[i]}, seed ${SEED})`);
  }
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 9], // odd edges in every dimension (tiles stick out)
  [64, 48, 96],
  [31, 130, 257], // k past one KC panel
];

describe('GEMM C ← α·op(A)·op(B) + β·C against a float64 triple loop', () => {
  const paths = availableCpuKernels();
  it('Chromium offers a WebAssembly path besides the TypeScript one', () => {
    expect(paths).toContain('simd');
    expect(paths).toContain('ts');
  });
  for (const kernels of paths as CpuKernels[])
    for (const [m, n, k] of shapes)
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const label = `${kernels}: ${m}×${k} · ${k}×${n}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`;
        it(`${label}, α=1.5 β=-0.5, on plain arrays and on backend tensors`, () => {
          const r = new Rng(SEED + m * 7 + n * 13 + k);
          const a = Float32Array.from({ length: m * k }, () => r.normal());
          const b = Float32Array.from({ length: k * n }, () => r.normal());
          const c0 = Float32Array.from({ length: m * n }, () => r.normal());
          const o = { transA, transB, alpha: 1.5, beta: -0.5 };
          const ref = reference(m, n, k, a, b, c0, o);
          const c = c0.slice();
          gemm({ m, n, k, a, b, c, ...o, kernels });
          check(c, ref, k, `${label} (plain arrays)`);

          // Through the backend: operands are tensors in the WebAssembly heap; β = 0 path.
          const be = createCpuBackend({ kernels });
          const A = be.tensor(a, transA ? [k, m] : [m, k]);
          const B = be.tensor(b, transB ? [n, k] : [k, n]);
          const C = be.blocks.gemm(A, B, { transA, transB });
          check(be.data(C) as Float32Array, reference(m, n, k, a, b, c0, { transA, transB, alpha: 1, beta: 0 }), k, `${label} (backend tensors)`);
          for (const t of [A, B, C]) t.dispose();
        });
      }

  it('a strided sub-block with offsets (a conv GEMM on a slice of a larger array) matches on every path', () => {
    const r = new Rng(SEED);
    const [m, n, k, lda, ldb, ldc] = [5, 6, 7, 11, 9, 8];
    const a = Float32Array.from({ length: 3 + m * lda }, () => r.normal());
    const b = Float32Array.from({ length: 2 + k * ldb }, () => r.normal());
    const results = (paths as CpuKernels[]).map((kernels) => {
      const c = new Float32Array(4 + m * ldc).fill(7);
      gemm({ m, n, k, a, b, c, aOffset: 3, lda, bOffset: 2, ldb, cOffset: 4, ldc, beta: 0, kernels });
      return c;
    });
    const dense = (arr: Float32Array, off: number, ld: number, rows: number, cols: number) => Float32Array.from({ length: rows * cols }, (_, i) => arr[off + Math.floor(i / cols) * ld + (i % cols)]);
    const ref = reference(m, n, k, dense(a, 3, lda, m, k), dense(b, 2, ldb, k, n), new Float32Array(m * n), { transA: false, transB: false, alpha: 1, beta: 0 });
    for (const [i, c] of results.entries()) {
      check(dense(c, 4, ldc, m, n), ref, k, `${paths[i]} strided`);
      // Elements between the rows of C are not C's: they must be left alone.
      for (let row = 0; row < m; row++) for (let j = n; j < ldc && 4 + row * ldc + j < c.length; j++) expect(c[4 + row * ldc + j]).toBe(7);
      expect(Array.from(c.subarray(0, 4))).toEqual([7, 7, 7, 7]);
    }
  });
});
