/**
 * Test-only suites shared by the MaxPool, AveragePool and SumPool test files: forward and
 * backward against the naive loops of naive-pool.ts, on listed configurations and on random
 * valid (and invalid) geometries drawn by fast-check.
 */
import { HubelError, Rng, type AnyLayer } from '@hubel/core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { runLayer } from './harness.js';
import { naiveAxes, naivePool, naivePoolBackward, type NaiveAttrs, type NaiveKind } from './naive-pool.js';

// Float64 throughout. Max is exact. A window sum adds at most 48 terms (3-D: 3·4·4) of size < 5
// in the same row-major order as the naive loop, so only the divisor differs: ours multiplies by
// the per-axis reciprocals, the naive loop divides once, ≤ 5 roundings ≈ 5·2⁻⁵³·|y| < 2e-13 for
// |y| < 240. Backward sums at most 48 contributions the same way. 1e-12 leaves margin.
export const TOL = 1e-12;

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function normals(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

/** Runs `layer` and the naive loop on seeded inputs; asserts y, its shape and dx (for a seeded dy) agree. */
export async function expectMatchesNaive(kind: NaiveKind, layer: AnyLayer, attrs: NaiveAttrs, shape: number[], seed: number, values?: Float64Array) {
  const x = values ?? normals(shape.reduce((p, d) => p * d, 1), seed);
  const ref = naivePool(kind, x, shape, attrs);
  const dy = normals(ref.y.length, seed + 1);
  const got = await runLayer(layer, attrs, x, shape, () => dy);
  const what = `${layer.type} ${JSON.stringify(attrs)} on ${JSON.stringify(shape)} (seed ${seed})`;
  expect(got.shape, `${what}: output shape`).toEqual(ref.shape);
  expect(maxAbsDiff(got.y, ref.y), `${what}: forward`).toBeLessThanOrEqual(kind === 'max' ? 0 : TOL);
  const dx = naivePoolBackward(kind, dy, shape, attrs, ref);
  expect(maxAbsDiff(got.dx!, dx), `${what}: backward`).toBeLessThanOrEqual(TOL);
  if (kind === 'max') {
    const want = attrs.storageOrder === 1 ? ref.argmaxColumnMajor : ref.argmax;
    expect(got.second, `${what}: Indices`).toEqual(Array.from(want));
  }
}

interface Drawn {
  readonly attrs: NaiveAttrs;
  readonly shape: number[];
  readonly seed: number;
  readonly ties: boolean;
}

/** Random geometries: 1-D, 2-D or 3-D, every attribute the layer has; about a quarter are invalid (kernel too large, all-padding windows). */
function geometry(kind: NaiveKind): fc.Arbitrary<Drawn> {
  return fc
    .record({
      rank: fc.constantFrom(1, 2, 2, 3),
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 3 }),
      // The third size only matters in 3-D, where it is the first (depth) axis; ≤ 5 keeps cases small.
      sizes: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 })),
      k: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })),
      s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })),
      d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      pads: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
      storageOrder: fc.constantFrom(0, 1),
      ceil: fc.boolean(),
      autoPad: fc.constantFrom('NOTSET', 'NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'),
      cip: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1e6 }),
      ties: fc.boolean(),
    })
    .map((g) => {
      const r = g.rank;
      // 3-D puts the third tuple entry first (the depth axis): [z, h, w].
      const pick = (t: readonly number[]) => (r === 3 ? [t[2], t[0], t[1]] : t.slice(0, r));
      const attrs: { -readonly [K in keyof NaiveAttrs]: NaiveAttrs[K] } = { kernelShape: pick(g.k), strides: pick(g.s), dilations: pick(g.d) };
      const [t, l, b, rt, f, bk] = g.pads;
      if (g.autoPad === 'NOTSET') attrs.pads = r === 1 ? [t, b] : r === 2 ? [t, l, b, rt] : [f, t, l, bk, b, rt];
      if (kind === 'max') attrs.storageOrder = g.storageOrder;
      else attrs.autoPad = g.autoPad;
      if (kind !== 'sum' && g.autoPad === 'NOTSET') attrs.ceilMode = g.ceil; // with autoPad it is only an error case
      if (kind === 'avg') attrs.countIncludePad = g.cip;
      return { attrs, shape: [g.n, g.c, ...pick(g.sizes)], seed: g.seed, ties: g.ties };
    });
}

/**
 * Property: for random geometries the layer's forward and backward equal the naive loop's, and
 * exactly the geometries the naive loop finds invalid are rejected with a HubelError. With
 * `ties`, inputs are drawn from {0, 1, 2} so max windows often hold equal maxima: dx must still
 * match the naive "first maximum in row-major window order" routing.
 */
export function propertyAgainstNaive(kind: NaiveKind, layer: AnyLayer, fcSeed: number): void {
  it(`${layer.type}: forward and backward equal the naive loop on random shapes and attributes (fast-check seed ${fcSeed})`, async () => {
    await fc.assert(
      fc.asyncProperty(geometry(kind), async ({ attrs, shape, seed, ties }) => {
        const valid = typeof naiveAxes(attrs, shape.slice(2)) !== 'string';
        const n = shape.reduce((p, d) => p * d, 1);
        const r = new Rng(seed);
        const x = ties ? Float64Array.from({ length: n }, () => r.int(3)) : normals(n, seed);
        if (!valid) {
          await expect(runLayer(layer, attrs, x, shape)).rejects.toThrowError(HubelError);
          return;
        }
        await expectMatchesNaive(kind, layer, attrs, shape, seed, x);
      }),
      { seed: fcSeed, numRuns: 200 },
    );
  });
}
