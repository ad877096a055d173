import { createCpuBackend, scatterAdd, windowMax, windowPlan, windowSum, windowSumBackward, windowTable, type WindowAxis } from '@hubel/backend-cpu';
import { HubelError, Rng } from '@hubel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Random axis geometries whose every window touches the input (the block's precondition). */
const axisArb = fc
  .record({
    inSize: fc.integer({ min: 1, max: 12 }),
    kernel: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 1, max: 4 }),
    dilation: fc.integer({ min: 1, max: 3 }),
    padBegin: fc.integer({ min: 0, max: 3 }),
    padEnd: fc.integer({ min: 0, max: 3 }),
    extra: fc.integer({ min: 0, max: 1 }),
  })
  .map(({ extra, ...a }) => {
    const ext = (a.kernel - 1) * a.dilation + 1;
    const span = a.inSize + a.padBegin + a.padEnd - ext;
    // Floor-mode count, plus optionally one ceil-mode overhanging window.
    return { ...a, outSize: Math.max(1, Math.floor(Math.max(span, 0) / a.stride) + 1 + extra) };
  })
  .filter((a) => taps(a).every((t) => t.some((p) => p >= 0 && p < a.inSize)));

/** Input positions of every tap of every window, enumerated directly. */
function taps(a: WindowAxis): number[][] {
  return Array.from({ length: a.outSize }, (_, o) => Array.from({ length: a.kernel }, (_, j) => o * a.stride - a.padBegin + j * a.dilation));
}

describe('window block: per-axis tables', () => {
  it('first / count / padded agree with enumerating every tap (fast-check seed 7)', () => {
    fc.assert(
      fc.property(axisArb, (a) => {
        const t = windowTable(a);
        taps(a).forEach((ps, o) => {
          const inside = ps.filter((p) => p >= 0 && p < a.inSize);
          expect(t.first[o]).toBe(inside[0]);
          expect(t.count[o]).toBe(inside.length);
          expect(t.padded[o]).toBe(ps.filter((p) => p < a.inSize + a.padEnd).length);
          expect(t.invCount[o]).toBe(1 / inside.length);
        });
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('rejects a window with no tap in the input and malformed geometry', () => {
    const base = { inSize: 4, outSize: 1, kernel: 2, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 };
    expect(() => windowTable({ ...base, padBegin: 2 })).toThrowError(/output 0 \(of 1\) along an axis of size 4 has no tap inside the input/);
    expect(() => windowTable({ ...base, stride: 0 })).toThrowError(HubelError);
    expect(() => windowPlan([])).toThrowError(/expected at least 1 spatial axis, found 0/);
  });
});

/** Naive 2-D pooling over explicit tap lists: max (first maximum), sum with a divisor. */
function naive(x: Float64Array, planes: number, rows: WindowAxis, cols: WindowAxis, divisor: 'one' | 'image' | 'padded') {
  const rt = taps(rows);
  const ct = taps(cols);
  const n = planes * rows.outSize * cols.outSize;
  const max = new Float64Array(n);
  const arg = new Int32Array(n);
  const sum = new Float64Array(n);
  const div = new Float64Array(n);
  let o = 0;
  for (let p = 0; p < planes; p++) {
    for (const rs of rt) {
      for (const cs of ct) {
        let best = -Infinity;
        let bi = -1;
        let s = 0;
        let img = 0;
        let pad = 0;
        for (const r of rs) {
          for (const c of cs) {
            if (r < rows.inSize + rows.padEnd && c < cols.inSize + cols.padEnd) pad++;
            if (r < 0 || r >= rows.inSize || c < 0 || c >= cols.inSize) continue;
            const at = (p * rows.inSize + r) * cols.inSize + c;
            img++;
            s += x[at];
            if (bi < 0 || x[at] > best) [best, bi] = [x[at], at];
          }
        }
        div[o] = divisor === 'one' ? 1 : divisor === 'image' ? img : pad;
        [max[o], arg[o], sum[o]] = [best, bi, s / div[o]];
        o++;
      }
    }
  }
  return { max, arg, sum, div };
}

/**
 * Naive N-D pooling: every output multi-index enumerates every tap multi-index (row-major) and
 * tests each coordinate against the image; also returns the in-image taps of each output.
 */
function naiveNd(x: Float64Array, planes: number, axes: readonly WindowAxis[], divisor: 'one' | 'image' | 'padded') {
  const outs = axes.reduce((p, a) => p * a.outSize, 1);
  const kernels = axes.reduce((p, a) => p * a.kernel, 1);
  const inPlane = axes.reduce((p, a) => p * a.inSize, 1);
  const unravel = (i: number, sizes: readonly number[]) => sizes.map((_, k) => Math.floor(i / sizes.slice(k + 1).reduce((p, d) => p * d, 1)) % sizes[k]);
  const max: number[] = [], arg: number[] = [], sum: number[] = [], div: number[] = [], taps: number[][] = [];
  for (let p = 0; p < planes; p++) {
    for (let o = 0; o < outs; o++) {
      const oi = unravel(o, axes.map((a) => a.outSize));
      let best = -Infinity, bi = -1, s = 0, pad = 0;
      const inside: number[] = [];
      for (let t = 0; t < kernels; t++) {
        const ti = unravel(t, axes.map((a) => a.kernel));
        const pos = axes.map((a, k) => oi[k] * a.stride - a.padBegin + ti[k] * a.dilation);
        if (pos.every((q, k) => q < axes[k].inSize + axes[k].padEnd)) pad++;
        if (!pos.every((q, k) => q >= 0 && q < axes[k].inSize)) continue;
        const at = p * inPlane + pos.reduce((acc, q, k) => acc * axes[k].inSize + q, 0);
        inside.push(at);
        s += x[at];
        if (bi < 0 || x[at] > best) [best, bi] = [x[at], at];
      }
      const d = divisor === 'one' ? 1 : divisor === 'image' ? inside.length : pad;
      max.push(best), arg.push(bi), sum.push(s / d), div.push(d), taps.push(inside);
    }
  }
  return { max: Float64Array.from(max), arg: Int32Array.from(arg), sum: Float64Array.from(sum), div, taps };
}

describe('window block: loops against a naive loop', () => {
  it('windowMax, windowSum and windowSumBackward on random 2-D geometries (fast-check seed 8)', () => {
    fc.assert(
      fc.property(axisArb, axisArb, fc.integer({ min: 1, max: 3 }), fc.constantFrom('one', 'image', 'padded'), fc.integer({ min: 0, max: 1e6 }), fc.boolean(), (rows, cols, planes, divisor, seed, ties) => {
        const r = new Rng(seed);
        const x = Float64Array.from({ length: planes * rows.inSize * cols.inSize }, () => (ties ? r.int(3) : r.normal()));
        const plan = windowPlan([rows, cols]);
        const ref = naive(x, planes, rows, cols, divisor);
        const n = ref.max.length;
        const y = new Float64Array(n);
        const arg = new Int32Array(n);
        windowMax(x, planes, plan, y, arg);
        expect(Array.from(y)).toEqual(Array.from(ref.max));
        expect(Array.from(arg)).toEqual(Array.from(ref.arg));
        const s = new Float64Array(n);
        windowSum(x, planes, plan, divisor, s);
        // ≤ 25 float64 terms summed in the same order; the divisor applied as two reciprocals
        // instead of one division: a few ulps of |y| < 60, far below 1e-12.
        s.forEach((v, i) => expect(Math.abs(v - ref.sum[i])).toBeLessThan(1e-12));
        const dy = Float64Array.from({ length: n }, () => r.normal());
        const dx = new Float64Array(x.length).fill(NaN); // the block must overwrite, not accumulate
        windowSumBackward(dy, planes, plan, divisor, dx);
        const want = new Float64Array(x.length);
        const rt = taps(rows);
        const ct = taps(cols);
        let o = 0;
        for (let p = 0; p < planes; p++)
          for (const rs of rt)
            for (const cs of ct) {
              for (const rr of rs) for (const c of cs) if (rr >= 0 && rr < rows.inSize && c >= 0 && c < cols.inSize) want[(p * rows.inSize + rr) * cols.inSize + c] += dy[o] / ref.div[o];
              o++;
            }
        dx.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-12));
      }),
      { seed: 8, numRuns: 200 },
    );
  });

  it('windowMax, windowSum and windowSumBackward on random 3-D and 4-D geometries (fast-check seed 9)', () => {
    // Small axes keep each case tiny: ≤ 5 sizes per axis, ≤ 2 planes.
    const small = axisArb.filter((a) => a.inSize <= 5 && a.outSize <= 4);
    fc.assert(
      fc.property(fc.array(small, { minLength: 3, maxLength: 4 }), fc.integer({ min: 1, max: 2 }), fc.constantFrom('one', 'image', 'padded'), fc.integer({ min: 0, max: 1e6 }), fc.boolean(), (axes, planes, divisor, seed, ties) => {
        const r = new Rng(seed);
        const inPlane = axes.reduce((p, a) => p * a.inSize, 1);
        const x = Float64Array.from({ length: planes * inPlane }, () => (ties ? r.int(3) : r.normal()));
        const ref = naiveNd(x, planes, axes, divisor);
        const plan = windowPlan(axes);
        const n = ref.max.length;
        const y = new Float64Array(n);
        const arg = new Int32Array(n);
        windowMax(x, planes, plan, y, arg);
        expect(Array.from(y)).toEqual(Array.from(ref.max));
        expect(Array.from(arg)).toEqual(Array.from(ref.arg));
        const s = new Float64Array(n);
        windowSum(x, planes, plan, divisor, s);
        // ≤ 5⁴ = 625 float64 terms of |v| < 5 in the same order, the divisor as per-axis
        // reciprocals: a few ulps of |y| < 3125, i.e. < 1e-11.
        s.forEach((v, i) => expect(Math.abs(v - ref.sum[i])).toBeLessThan(1e-11));
        const dy = Float64Array.from({ length: n }, () => r.normal());
        const dx = new Float64Array(x.length).fill(NaN);
        windowSumBackward(dy, planes, plan, divisor, dx);
        const want = new Float64Array(x.length);
        ref.taps.forEach((ts, o) => ts.forEach((t) => (want[t] += dy[o] / ref.div[o])));
        dx.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-11));
      }),
      { seed: 9, numRuns: 60 },
    );
  });

  it('scatterAdd zeroes dx and adds repeated indices', () => {
    const dx = new Float64Array([9, 9, 9, 9]);
    scatterAdd(new Float64Array([1, 2, 3]), new Int32Array([2, 0, 2]), dx);
    expect(Array.from(dx)).toEqual([2, 0, 4, 0]);
  });
});

describe('CpuBlocks window methods', () => {
  const be = createCpuBackend({ dtype: 'float64' });
  const axis: WindowAxis = { inSize: 4, outSize: 2, kernel: 2, stride: 2, dilation: 1, padBegin: 0, padEnd: 0 };

  it('caches plans by geometry', () => {
    expect(be.blocks.windowPlan([axis, axis])).toBe(be.blocks.windowPlan([{ ...axis }, { ...axis }]));
    expect(be.blocks.windowPlan([axis, axis])).not.toBe(be.blocks.windowPlan([axis]));
  });

  it('windowMax returns y and int32 arg-max tensors of the output shape; scatterAdd inverts the routing', () => {
    const x = be.tensor([1, 5, 2, 0, 3, 4, 8, 7, 6, 1, 0, 2, 3, 9, 4, 4], [1, 1, 4, 4]);
    const { y, argmax } = be.blocks.windowMax(x, be.blocks.windowPlan([axis, axis]), [1, 1, 2, 2]);
    // Windows: {1,5,3,4} → 5 at 1; {2,0,8,7} → 8 at 6; {6,1,3,9} → 9 at 13; {0,2,4,4} → 4 at 14 (first of the tie).
    expect(Array.from(be.readSync(y))).toEqual([5, 8, 9, 4]);
    expect(argmax.dtype).toBe('int32');
    expect(Array.from(be.readSync(argmax))).toEqual([1, 6, 13, 14]);
    const dx = be.blocks.scatterAdd(be.tensor([1, 2, 3, 4], [1, 1, 2, 2]), argmax, x.shape);
    expect(Array.from(be.readSync(dx))).toEqual([0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3, 4, 0]);
  });

  it('rejects an output shape that does not fit the plan', () => {
    const x = be.zeros([1, 1, 4, 4]);
    expect(() => be.blocks.windowSum(x, be.blocks.windowPlan([axis, axis]), 'one', [1, 1, 3, 3])).toThrowError(/windowSum: \[1, 1, 4, 4\] is not a whole number of 4×4 planes with 2×2 outputs each, as \[1, 1, 3, 3\] requires/);
  });
});

describe('window block: 2×2 stride-2 max on the wasm kernels', () => {
  // Heap-resident arrays (backend tensors) take the wasm path; plain arrays the TypeScript one.
  const be = createCpuBackend();
  for (const [H, W] of [[28, 28], [14, 14], [7, 9], [2, 2], [4, 18], [5, 3]]) {
    it(`${H}×${W}, 3 planes: values and argmax equal the TypeScript loop, with ties, −∞ and NaN`, () => {
      const r = new Rng(H * 100 + W);
      const planes = 3;
      const axes = [H, W].map((n) => ({ inSize: n, outSize: Math.floor(n / 2), kernel: 2, stride: 2, dilation: 1, padBegin: 0, padEnd: 0 }));
      const plan = windowPlan(axes);
      const xt = be.alloc([planes * H * W]);
      const x = be.data(xt) as Float32Array;
      // Small integers make ties common; a few −∞ and NaN (a NaN first tap wins, a later NaN never does).
      for (let i = 0; i < x.length; i++) x[i] = r.int(4);
      for (let i = 0; i < x.length; i += 13) x[i] = -Infinity;
      for (let i = 5; i < x.length; i += 17) x[i] = NaN;
      const n = planes * plan.outPlane;
      const y = be.data(be.alloc([n])) as Float32Array, am = be.ints(be.alloc([n], 'int32'));
      windowMax(x, planes, plan, y, am);
      const yRef = new Float32Array(n), amRef = new Int32Array(n);
      windowMax(Float32Array.from(x), planes, plan, yRef, amRef);
      expect(Array.from(am)).toEqual(Array.from(amRef));
      expect(Array.from(y)).toEqual(Array.from(yRef));
    });
  }
});
