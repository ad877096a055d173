import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Rng, sizeOf } from '@hubel/core';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();

/** Row-major coordinates of flat index i. */
function coords(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}
const flat = (c: readonly number[], shape: readonly number[]) => c.reduce((off, v, d) => off * shape[d] + v, 0);

/** The plain-loop source coordinate of output coordinate o along an axis of size d (−1: the constant). */
function source(o: number, d: number, mode: string): number {
  if (o >= 0 && o < d) return o;
  if (mode === 'reflect') return o < 0 ? -o : 2 * (d - 1) - o;
  if (mode === 'edge') return Math.min(Math.max(o, 0), d - 1);
  return -1;
}

gpu.describe(describe, 'layout blocks (permute, expand, pad) vs plain loops', (be) => {
  it('permutes a rank-4 tensor and a rank-6 one exactly (seed 71)', async () => {
    const rng = new Rng(71);
    for (const [shape, perm] of [[[2, 3, 4, 5], [2, 0, 3, 1]], [[2, 1, 3, 2, 2, 3], [5, 4, 3, 2, 1, 0]]] as const) {
      const x = Float32Array.from({ length: sizeOf(shape) }, () => rng.normal());
      const y = be.blocks.permute(be.tensor(x, shape), perm);
      const outShape: number[] = perm.map((p) => shape[p]!);
      expect(y.shape).toEqual(outShape);
      const got = await y.read();
      for (let i = 0; i < x.length; i++) {
        const c = coords(i, shape);
        expect(got[flat(perm.map((p) => c[p]!), outShape)], `x[${c}] (seed 71)`).toBe(x[i]);
      }
    }
  });

  it('expands under numpy broadcasting exactly, a rank-8 target included (seed 73)', async () => {
    const rng = new Rng(73);
    const pairs: [number[], number[]][] = [
      [[3], [2, 3]],
      [[2, 1, 4], [2, 3, 4]],
      [[2, 1, 3, 1, 2], [2, 4, 3, 5, 2]],
      [[1, 1, 2, 3, 1, 1, 4, 2], [2, 3, 2, 3, 5, 1, 4, 2]],
      [[], [3, 2]],
    ];
    for (const [inShape, shape] of pairs) {
      const x = Float32Array.from({ length: sizeOf(inShape) }, () => rng.normal());
      const y = be.blocks.expand(be.tensor(x, inShape), shape);
      expect(y.shape).toEqual(shape);
      const got = await y.read();
      const lead = shape.length - inShape.length;
      for (let i = 0; i < got.length; i++) {
        // The plain-loop numpy index: drop leading axes, clamp broadcast axes to 0.
        const c = coords(i, shape).slice(lead).map((v, d) => (inShape[d] === 1 ? 0 : v));
        expect(got[i], `[${inShape}] → [${shape}] element ${i} (seed 73)`).toBe(x[flat(c, inShape)]);
      }
    }
  });

  for (const mode of ['constant', 'reflect', 'edge'] as const) {
    it(`pad ${mode}: forward equals the loop, backward is its adjoint (seed 72)`, async () => {
      const rng = new Rng(72);
      const shape = [2, 3, 4];
      const pads = mode === 'edge' ? [0, 1, 5, 1, 0, 2] : [0, 2, 3, 1, 0, 2];
      const outShape = shape.map((d, i) => d + pads[i] + pads[i + 3]);
      const x = Float32Array.from({ length: sizeOf(shape) }, () => rng.normal());
      const y = await be.blocks.pad(be.tensor(x, shape), pads, mode, 0.25).read();
      const src = (o: number) => {
        const c = coords(o, outShape).map((v, d) => source(v - pads[d], shape[d], mode));
        return c.some((v) => v < 0) ? -1 : flat(c, shape);
      };
      for (let o = 0; o < y.length; o++) expect(y[o], `output ${o} (seed 72)`).toBe(src(o) < 0 ? 0.25 : x[src(o)]);
      const dy = Float32Array.from({ length: y.length }, () => rng.normal());
      const dx = await be.blocks.padBackward(be.tensor(dy, outShape), shape, pads, mode).read();
      const want = new Float64Array(x.length);
      const abs = new Float64Array(x.length);
      for (let o = 0; o < dy.length; o++) if (src(o) >= 0) (want[src(o)] += dy[o]), (abs[src(o)] += Math.abs(dy[o]));
      // Each dx sums at most ∏ (pads + 1) terms in float32: within γ_16·Σ|terms|.
      for (let i = 0; i < x.length; i++) {
        if (!(Math.abs(dx[i] - want[i]) <= 16 * 2 ** -24 * abs[i] * 1.01 + 1e-30)) throw new Error(`dx[${i}] ${dx[i]} vs ${want[i]} (seed 72)`);
      }
    });
  }

  it('rejects reflect pads past size − 1, a non-permutation and a shape that does not broadcast', () => {
    expect(() => be.blocks.pad(be.zeros([2, 3]), [0, 3, 0, 0], 'reflect')).toThrowError(/reflect pads \[0, 3, 0, 0\] exceed size − 1 of \[2, 3\]/);
    expect(() => be.blocks.permute(be.zeros([2, 3]), [0, 0])).toThrowError(/is not a permutation/);
    expect(() => be.blocks.expand(be.zeros([2, 3]), [3, 3])).toThrowError(/expand: \[2, 3\] does not broadcast to \[3, 3\]/);
    expect(() => be.blocks.expand(be.zeros([1, 2, 1, 2, 1, 2, 1, 2]), [2, 2, 2, 2, 2, 2, 2, 2])).toThrowError(/needs 8 strided runs, more than 6/);
  });
});
