import { availableCpuKernels, createCpuBackend } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

type Backend = ReturnType<typeof createCpuBackend>;

/** Largest |a − b| / max(1, |b|) over two arrays. */
function worstRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return w;
}

// Shapes: odd plane sizes (the two-lane loops' single last value), s = 1 ([N, C]), one image.
const shapes = [[4, 3, 5, 7], [6, 5], [1, 2, 13, 1], [3, 4, 28, 28]];

describe('ReLU blocks', () => {
  it('follow the definition, with NaN for NaN and −∞ and +0 for −0 (float64 and every float32 path)', async () => {
    const special = [-Infinity, -2, -0, 0, 1e-30, 3, Infinity, NaN, -1e-45];
    const backends: Backend[] = [createCpuBackend({ dtype: 'float64' }), ...availableCpuKernels().map((kernels) => createCpuBackend({ kernels }))];
    for (const be of backends) {
      // 9 specials then 7 more values: the 4-wide loop and its scalar tail both see each kind.
      const xs = [...special, ...special.slice(0, 7)];
      const dys = xs.map((_, i) => (i % 3) - 1.5);
      const y = await be.blocks.relu(be.tensor(xs, [xs.length])).read();
      const dx = await be.blocks.reluBackward(be.tensor(xs, [xs.length]), be.tensor(dys, [xs.length])).read();
      xs.forEach((v, i) => {
        const want = Number.isNaN(v) || v === -Infinity ? NaN : v > 0 ? (be.floatType === 'float32' ? Math.fround(v) : v) : 0;
        expect(Object.is(y[i], want), `${be.description}: relu(${v}) = ${y[i]}`).toBe(true);
        expect(Object.is(dx[i], v > 0 ? dys[i] : 0), `${be.description}: relu'(${v})·${dys[i]} = ${dx[i]}`).toBe(true);
      });
    }
  });
});

describe('per-channel blocks (batch normalization) on the WebAssembly kernels against the TypeScript loops', () => {
  for (const path of availableCpuKernels().filter((p) => p !== 'ts')) {
    it(`${path}: affine maps bitwise equal, sums within float64 rounding`, async () => {
      const wasm = createCpuBackend({ kernels: path }), ts = createCpuBackend({ kernels: 'ts' });
      for (const [t, shape] of shapes.entries()) {
        const r = new Rng(700 + t);
        const size = shape.reduce((a, b) => a * b, 1), c = shape[1];
        // An offset mean, so the two-pass variance matters.
        const xs = Float32Array.from({ length: size }, () => 3 + r.normal());
        const dys = Float32Array.from({ length: size }, () => r.normal());
        const per = () => Float64Array.from({ length: c }, () => r.normal());
        const [mean, k, b, d] = [per(), per(), per(), per()];
        const run = async (be: Backend) => {
          const x = be.tensor(xs, shape), dy = be.tensor(dys, shape);
          expect(be.data(x).buffer instanceof SharedArrayBuffer).toBe(true);
          const moments = be.blocks.channelMoments(x);
          const sums = be.blocks.channelGradSums(x, dy, mean);
          return {
            moments, sums,
            y: await be.blocks.channelAffine(x, mean, k, b).read(),
            dx: await be.blocks.channelAffineGrad(x, dy, mean, k, b, d).read(),
          };
        };
        const [w, s] = [await run(wasm), await run(ts)];
        // The same float64 expression per element, rounded once: bitwise equal.
        expect(w.y, `channelAffine ${shape}`).toEqual(s.y);
        expect(w.dx, `channelAffineGrad ${shape}`).toEqual(s.dx);
        // Sums of ≤ 64·784 float32 values in float64, in two lanes instead of one: each order's
        // error is ≤ m·2⁻⁵³·Σ|terms|, so relative differences stay below 1e-10 (observed ~1e-15).
        expect(worstRel(w.moments.mean, s.moments.mean)).toBeLessThan(1e-10);
        expect(worstRel(w.moments.variance, s.moments.variance)).toBeLessThan(1e-10);
        expect(worstRel(w.sums.sumDy, s.sums.sumDy)).toBeLessThan(1e-10);
        expect(worstRel(w.sums.sumDyCentered, s.sums.sumDyCentered)).toBeLessThan(1e-10);
        // And the TypeScript loops against the definition, channel 0.
        const m = shape[0] * (size / (shape[0] * c)), sp = size / (shape[0] * c);
        const ch0 = Array.from({ length: shape[0] }, (_, i) => Array.from(xs.subarray(i * c * sp, i * c * sp + sp))).flat();
        const mu = ch0.reduce((a, v) => a + v, 0) / m;
        expect(s.moments.mean[0]).toBeCloseTo(mu, 12);
        expect(s.moments.variance[0]).toBeCloseTo(ch0.reduce((a, v) => a + (v - mu) ** 2, 0) / m, 10);
        expect(s.y[0]).toBe(Math.fround(k[0] * (xs[0] - mean[0]) + b[0]));
      }
    });
  }

  it('refuses per-channel arrays of the wrong length and mismatched gradients, naming the shapes', () => {
    const be = createCpuBackend();
    const x = be.tensor(new Float32Array(24), [2, 3, 4]);
    expect(() => be.blocks.channelAffine(x, [0, 0], [1, 1, 1], [0, 0, 0])).toThrowError(/channelAffine: 2 per-channel values for 3 channels of \[2, 3, 4\]/);
    expect(() => be.blocks.channelGradSums(x, be.tensor(new Float32Array(6), [2, 3]), [0, 0, 0])).toThrowError(/channelGradSums: input \[2, 3, 4\] and gradient \[2, 3\] differ/);
    expect(() => be.blocks.channelMoments(be.tensor([1, 2], [2]))).toThrowError(/channelMoments: expected \[N, C, …\], found \[2\]/);
  });
});

describe('firstNonFiniteSync (what NanGuard scans after every node)', () => {
  it('finds the first NaN or ±Inf at every position kind on every path, and −1 for clean tensors', () => {
    const backends = [createCpuBackend({ dtype: 'float64' }), ...availableCpuKernels().map((kernels) => createCpuBackend({ kernels }))];
    for (const be of backends) {
      for (const n of [1, 63, 64, 65, 200]) {
        const clean = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3 + 1e30 * (i % 2));
        expect(be.firstNonFiniteSync(be.tensor(clean, [n])), `${be.description}, clean ${n}`).toBe(-1);
        // Positions: first, last of a 64-value block, first of the next, the scalar tail, the last.
        for (const at of [0, 63, 64, 130, n - 1].filter((p) => p < n)) {
          for (const bad of [NaN, Infinity, -Infinity]) {
            const xs = clean.slice();
            xs[at] = bad;
            if (at + 1 < n) xs[n - 1] = NaN; // a later one must not win
            expect(be.firstNonFiniteSync(be.tensor(xs, [n])), `${be.description}: ${bad} at ${at} of ${n}`).toBe(at);
          }
        }
      }
      expect(be.firstNonFiniteSync(be.tensor([1, 2], [2], 'int32'))).toBe(-1);
    }
  });
});
