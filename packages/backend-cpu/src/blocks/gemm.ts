/**
 * The one GEMM every CPU kernel shares: C ← α·op(A)·op(B) + β·C on row-major arrays, op(A) m×k,
 * op(B) k×n. Blocked as in BLIS/GotoBLAS: a KC×NC panel of op(B) and an MC×KC block of α·op(A)
 * are packed (transposes are absorbed there) into 3-row and 4-column micro-panels, and a 3×4
 * micro-kernel keeps its 12 sums in local variables while it streams both panels. Large products are split
 * across worker threads (blocks/gemm-threads.ts); the single-thread path is always available.
 */
import { gemmBlocked, PACK_A_SIZE, PACK_B_SIZE, type GemmScratch } from './gemm-kernel.js';
import { gemmThreaded } from './gemm-threads.js';
import { wasmGemmBlocked } from './gemm-wasm.js';
import { cpuKernels, residency, wasmState, type CpuKernels } from './wasm-kernels.js';

/** A float host array, as the CPU backend stores float tensors. */
export type F = Float32Array | Float64Array;

/** Arguments of {@link gemm}: C ← α·op(A)·op(B) + β·C on row-major arrays with offsets and strides. */
export interface GemmArgs {
  /** Rows of op(A) and of C. */
  m: number;
  /** Columns of op(B) and of C. */
  n: number;
  /** Columns of op(A), rows of op(B). */
  k: number;
  /** Array holding A. */
  a: F;
  /** Array holding B. */
  b: F;
  /** Array holding C, written in place. */
  c: F;
  /** Index of A's first element in `a`; default 0. */
  aOffset?: number;
  /** Index of B's first element in `b`; default 0. */
  bOffset?: number;
  /** Index of C's first element in `c`; default 0. */
  cOffset?: number;
  /** Row strides; default the packed widths (k or m for A, n or k for B, n for C). */
  lda?: number;
  /** Row stride of B as stored. */
  ldb?: number;
  /** Row stride of C. */
  ldc?: number;
  /** op(A) = Aᵀ: A is stored k×m. */
  transA?: boolean;
  /** op(B) = Bᵀ: B is stored n×k. */
  transB?: boolean;
  /** Scale α of the product; default 1. */
  alpha?: number;
  /** 0 overwrites C (its old contents are ignored, even NaN). */
  beta?: number;
  /**
   * Kernel path for float32 operands (blocks/wasm-kernels.ts); default cpuKernels(). Float64
   * operands always take the TypeScript path.
   */
  kernels?: CpuKernels;
}

/**
 * Packing scratch, reused by every call (no allocation per call). The panels are Float64Array
 * for float32 inputs too: the conversion happens once while packing instead of in the inner
 * loop, and the micro-kernel sees one array type (measured no slower than Float32Array panels).
 */
const scratch: GemmScratch = { pa: new Float64Array(PACK_A_SIZE), pb: new Float64Array(PACK_B_SIZE), acc: new Float64Array(16), all: new Float64Array(0) };

/** C[i, j] ← β·C[i, j] for the m×n window of C (β = 0 clears it, even NaN; β = 1 leaves it). */
export function scaleRows(c: F, cOff: number, ldc: number, m: number, n: number, beta: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = 0; j < n; j++) c[row + j] *= beta;
  }
}

/** C ← α·op(A)·op(B) + β·C. Bitwise the same result whatever number of threads runs it. */
export function gemm(g: GemmArgs): void {
  const { m, n, k, a, b, c } = g;
  const aOff = g.aOffset ?? 0;
  const bOff = g.bOffset ?? 0;
  const cOff = g.cOffset ?? 0;
  const transA = g.transA ?? false;
  const transB = g.transB ?? false;
  const lda = g.lda ?? (transA ? m : k);
  const ldb = g.ldb ?? (transB ? k : n);
  const ldc = g.ldc ?? n;
  const alpha = g.alpha ?? 1;
  const beta = g.beta ?? 0;
  if (m === 0 || n === 0) return;
  const path = g.kernels ?? cpuKernels();
  const wasm = path !== 'ts' && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array ? path : undefined;
  // Large products go to the threads, which clear (β = 0) their own strips of C.
  if (k > 0 && alpha !== 0 && gemmThreaded(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha, beta, scratch, wasm)) return;
  // Scale or clear C first; the blocked loop then only accumulates.
  scaleRows(c, cOff, ldc, m, n, beta);
  if (k === 0 || alpha === 0) return;
  if (wasm) wasmGemmBlocked(wasmState(wasm), residency(a, b, c), m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha, false, beta === 0);
  else gemmBlocked(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha, scratch.pa, scratch.pb, scratch.acc);
}

