/**
 * The one GEMM every CPU kernel shares: C ← α·op(A)·op(B) + β·C on row-major arrays.
 * op(A) is m×k, op(B) is k×n. Transposed operands are handled by the access pattern of the
 * packing step, so the inner kernel always reads a k-major panel of B and a row of A.
 *
 * Blocking: B is packed in panels of KC rows × NC columns (fits L2), then for each row of A
 * the inner loop runs along a contiguous row of the panel, 4 rows of C at a time so each
 * loaded B value feeds four multiply-adds held in local variables.
 */
export type F = Float32Array | Float64Array;

export interface GemmArgs {
  m: number;
  n: number;
  k: number;
  a: F;
  b: F;
  c: F;
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
  /** Row strides; default the packed widths (k or m for A, n or k for B, n for C). */
  lda?: number;
  ldb?: number;
  ldc?: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** 0 overwrites C (its old contents are ignored, even NaN). */
  beta?: number;
}

const KC = 256;
const NC = 512;
let packB = new Float64Array(KC * NC);
let packA = new Float64Array(4 * KC);

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
  // Scale or clear C first; the blocked loop then only accumulates.
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else if (beta !== 1) for (let j = 0; j < n; j++) c[row + j] *= beta;
  }
  if (k === 0 || alpha === 0) return;
  if (packB.length < KC * NC) packB = new Float64Array(KC * NC);
  if (packA.length < 4 * KC) packA = new Float64Array(4 * KC);
  const pb = packB;
  const pa = packA;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = Math.min(KC, k - p0);
      // Pack op(B)[p0:p0+kc, j0:j0+nc] row-major with row stride nc.
      if (!transB) {
        for (let p = 0; p < kc; p++) {
          const src = bOff + (p0 + p) * ldb + j0;
          const dst = p * nc;
          for (let j = 0; j < nc; j++) pb[dst + j] = b[src + j];
        }
      } else {
        for (let j = 0; j < nc; j++) {
          const src = bOff + (j0 + j) * ldb + p0;
          for (let p = 0; p < kc; p++) pb[p * nc + j] = b[src + p];
        }
      }
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        // Pack 4 rows of α·op(A)[i:i+4, p0:p0+kc], interleaved: pa[p*4 + r].
        for (let r = 0; r < 4; r++) {
          if (!transA) {
            const src = aOff + (i + r) * lda + p0;
            for (let p = 0; p < kc; p++) pa[p * 4 + r] = alpha * a[src + p];
          } else {
            const src = aOff + p0 * lda + i + r;
            for (let p = 0; p < kc; p++) pa[p * 4 + r] = alpha * a[src + p * lda];
          }
        }
        const c0 = cOff + i * ldc + j0;
        const c1 = c0 + ldc;
        const c2 = c1 + ldc;
        const c3 = c2 + ldc;
        let j = 0;
        for (; j + 2 <= nc; j += 2) {
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
          for (let p = 0, bi = j, ai = 0; p < kc; p++, bi += nc, ai += 4) {
            const b0 = pb[bi];
            const b1 = pb[bi + 1];
            const a0 = pa[ai], a1 = pa[ai + 1], a2 = pa[ai + 2], a3 = pa[ai + 3];
            s00 += a0 * b0; s01 += a0 * b1;
            s10 += a1 * b0; s11 += a1 * b1;
            s20 += a2 * b0; s21 += a2 * b1;
            s30 += a3 * b0; s31 += a3 * b1;
          }
          c[c0 + j] += s00; c[c0 + j + 1] += s01;
          c[c1 + j] += s10; c[c1 + j + 1] += s11;
          c[c2 + j] += s20; c[c2 + j + 1] += s21;
          c[c3 + j] += s30; c[c3 + j + 1] += s31;
        }
        for (; j < nc; j++) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let p = 0, bi = j, ai = 0; p < kc; p++, bi += nc, ai += 4) {
            const bv = pb[bi];
            s0 += pa[ai] * bv; s1 += pa[ai + 1] * bv; s2 += pa[ai + 2] * bv; s3 += pa[ai + 3] * bv;
          }
          c[c0 + j] += s0; c[c1 + j] += s1; c[c2 + j] += s2; c[c3 + j] += s3;
        }
      }
      for (; i < m; i++) {
        const cr = cOff + i * ldc + j0;
        for (let p = 0; p < kc; p++) {
          const av = alpha * (transA ? a[aOff + (p0 + p) * lda + i] : a[aOff + i * lda + p0 + p]);
          const bp = p * nc;
          for (let j = 0; j < nc; j++) c[cr + j] += av * pb[bp + j];
        }
      }
    }
  }
}
