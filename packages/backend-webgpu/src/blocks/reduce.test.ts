import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Rng, sizeOf } from '@hubel/core';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();

/** Plain loop: reduces `axes` of a row-major array in float64; also Σ|terms| for the error bound. */
function reference(x: Float32Array, shape: number[], axes: number[], op: 'sum' | 'max' | 'mean' | 'sumsq') {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const nOut = sizeOf(outShape);
  const acc = new Float64Array(nOut).fill(op === 'max' ? -Infinity : 0);
  const abs = new Float64Array(nOut);
  const count = sizeOf(shape) / nOut;
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * outShape[d] + (axes.includes(d) ? 0 : idx[d]);
    const v = op === 'sumsq' ? x[i] * x[i] : x[i];
    acc[o] = op === 'max' ? Math.max(acc[o], v) : acc[o] + v;
    abs[o] += Math.abs(v);
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  if (op === 'mean') for (let o = 0; o < nOut; o++) acc[o] /= count;
  return { acc, abs, count };
}

gpu.describe(describe, 'reduce block vs a plain loop', (be) => {
  const cases: { shape: number[]; axes: number[] }[] = [
    { shape: [4, 7], axes: [0] }, // Linear's dB
    { shape: [3, 5, 6, 7], axes: [0, 2, 3] }, // batch norm's per-channel sums
    { shape: [6, 11], axes: [1] }, // softmax's row max and sum
    { shape: [2, 3, 4, 5], axes: [1, 3] }, // alternating axes
    { shape: [3, 300], axes: [1] }, // long rows: the workgroup-per-output variant
    { shape: [2, 3], axes: [] },
  ];
  for (const { shape, axes } of cases) {
    for (const op of ['sum', 'max', 'mean', 'sumsq'] as const) {
      for (const wide of [false, true]) {
        it(`${op} over [${axes}] of [${shape}] (${wide ? 'workgroup' : 'invocation'} per output; seed 31)`, async () => {
          const rng = new Rng(31);
          const x = Float32Array.from({ length: sizeOf(shape) }, () => rng.normal());
          const out = be.blocks.reduce(be.tensor(x, shape), { axes, op, wide } as never);
          const { acc, abs, count } = reference(x, shape, axes, op);
          const got = await out.read();
          expect(out.shape).toEqual(shape.filter((_, i) => !axes.includes(i)));
          // A float32 sum of `count` terms in any order is within γ_count·Σ|terms| (plus a rounding
          // for the square and for mean's division); max is exact.
          const g = ((count + 2) * 2 ** -24) / (1 - (count + 2) * 2 ** -24);
          for (let o = 0; o < acc.length; o++) {
            const bound = op === 'max' ? 0 : g * abs[o] * (op === 'mean' ? 1 / count : 1) + 1e-30;
            if (!(Math.abs(got[o] - acc[o]) <= bound)) throw new Error(`${op} output ${o}: ${got[o]} vs ${acc[o]} ± ${bound} (seed 31)`);
          }
        });
      }
    }
  }

  it('keepDims keeps reduced axes as 1', () => {
    expect(be.blocks.reduce(be.zeros([2, 3, 4]), { axes: [1], keepDims: true }).shape).toEqual([2, 1, 4]);
  });

  it('rejects an axis out of range', () => {
    expect(() => be.blocks.sum(be.zeros([2, 3]), { axes: [2] })).toThrowError(/reduce.sum: axis 2 out of range for shape \[2, 3\]/);
  });
});
