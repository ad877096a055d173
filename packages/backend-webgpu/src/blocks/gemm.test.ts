import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Rng, Tensor, type Backend } from '@hubel/core';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();
const U = 2 ** -24; // unit roundoff of float32

/** Float32-representable normal values, so the float64 reference sees exactly the GPU's inputs. */
function randn(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/**
 * Plain-loop reference in float64 plus the rounding bound of a float32 dot product of length k:
 * |fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| ≤ γ_(k+1)·Σ|aᵢbᵢ| with γ_j = j·u/(1 − j·u) (Higham, Thm. 3.1; the +1
 * covers the rounded products, α = 1 and bias additions add one rounding each, hence k + 3).
 */
function reference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean, colBias?: Float32Array, rowBias?: Float32Array) {
  const c = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
        s += t;
        abs += Math.abs(t);
      }
      const bias = (colBias?.[j] ?? 0) + (rowBias?.[i] ?? 0);
      c[i * n + j] = s + bias;
      const g = (k + 3) * U;
      bound[i * n + j] = (g / (1 - g)) * (abs + Math.abs(bias)) + 1e-30;
    }
  }
  return { c, bound };
}

function expectWithin(actual: ArrayLike<number>, expected: Float64Array, bound: Float64Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= bound[i])) throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} ± ${bound[i]}`);
  }
}

gpu.describe(describe, 'gemm block vs a plain loop', (be) => {
  // 67×70·70×33 is not a multiple of the 64×64 tile nor of the 16-deep k step.
  const shapes: [number, number, number][] = [[67, 33, 70], [1, 1, 1], [5, 130, 17], [64, 64, 16]];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`m=${m} n=${n} k=${k} transA=${transA} transB=${transB} (seed 11)`, async () => {
          const rng = new Rng(11);
          const a = randn(m * k, rng);
          const b = randn(k * n, rng);
          const A = be.tensor(a, transA ? [k, m] : [m, k]);
          const B = be.tensor(b, transB ? [n, k] : [k, n]);
          const C = be.blocks.gemm(A, B, { transA, transB });
          const { c, bound } = reference(a, b, m, n, k, transA, transB);
          expect(C.shape).toEqual([m, n]);
          expectWithin(await C.read(), c, bound, `gemm ${m}×${n}×${k} seed 11`);
          for (const t of [A, B, C]) t.dispose();
        });
      }
    }
  }

  it('adds a column bias (Linear) and a row bias (conv channels); seed 12', async () => {
    const rng = new Rng(12);
    const [m, n, k] = [9, 70, 21];
    const a = randn(m * k, rng), b = randn(k * n, rng), cb = randn(n, rng), rb = randn(m, rng);
    const [A, B, CB, RB] = [be.tensor(a, [m, k]), be.tensor(b, [n, k]), be.tensor(cb, [n]), be.tensor(rb, [m])];
    const withCol = be.blocks.gemm(A, B, { transB: true, colBias: CB });
    const withRow = be.blocks.gemm(A, B, { transB: true, rowBias: RB });
    const rc = reference(a, b, m, n, k, false, true, cb);
    const rr = reference(a, b, m, n, k, false, true, undefined, rb);
    expectWithin(await withCol.read(), rc.c, rc.bound, 'column bias, seed 12');
    expectWithin(await withRow.read(), rr.c, rr.bound, 'row bias, seed 12');
  });

  it('batched with offsets per (image, group) and a reduction batch summing over images; seed 13', async () => {
    // Two "images" × two "groups": C[n, g] = A[g]·B[n, g]; and D = Σ_n A2[n]·B2[n] (dW of a conv).
    const rng = new Rng(13);
    const [m, n, k, N, G] = [5, 7, 6, 2, 2];
    const a = randn(G * m * k, rng);
    const b = randn(N * G * k * n, rng);
    const A = be.tensor(a, [G, m, k]);
    const B = be.tensor(b, [N, G, k, n]);
    const C = be.blocks.gemmBatched({ a: A, b: B, m, n, k, batch: N * G, inner: G, strideA: [0, m * k], strideB: [G * k * n, k * n], strideC: [G * m * n, m * n], outShape: [N, G, m, n] });
    const c = await C.read();
    for (let ni = 0; ni < N; ni++) {
      for (let g = 0; g < G; g++) {
        const r = reference(a.subarray(g * m * k), b.subarray((ni * G + g) * k * n), m, n, k, false, false);
        expectWithin(c.subarray((ni * G + g) * m * n, (ni * G + g + 1) * m * n), r.c, r.bound, `batch n=${ni} g=${g}, seed 13`);
      }
    }
    const D = be.blocks.gemmBatched({ a: A, b: B, m, n, k, reduce: N, reduceStrideA: 0, reduceStrideB: G * k * n, outShape: [m, n] });
    const r0 = reference(a, b, m, n, k, false, false);
    const r1 = reference(a, b.subarray(G * k * n), m, n, k, false, false);
    const sum = r0.c.map((v, i) => v + r1.c[i]);
    const bound = r0.bound.map((v, i) => 2 * (v + r1.bound[i]));
    expectWithin(await D.read(), sum, bound, 'reduction batch, seed 13');
  });

  it('rejects mismatched inner dimensions and tensors from another backend', () => {
    const A = be.tensor(new Float32Array(6), [2, 3]);
    const B = be.tensor(new Float32Array(8), [4, 2]);
    expect(() => be.blocks.gemm(A, B)).toThrowError(/gemm: inner dimensions differ: op\(A\) is 2×3, op\(B\) is 4×2/);
    // A tensor of some other backend named 'cpu' (this package does not depend on backend-cpu).
    const foreign = new Tensor({ name: 'cpu' } as Backend, [3, 2], 'float32', new Float32Array(6));
    expect(() => be.blocks.gemm(A, foreign)).toThrowError(/lives on backend 'cpu' but the kernel runs on 'webgpu'/);
  });
});
