import { Rng } from '@hubel/core';
import { UnitAccumulator, type LayerDiagnostics } from '@hubel/lab';
import { describe, expect, it } from 'vitest';

/** Pearson's r of two series by the textbook formula, in float64 (two passes: means, then sums). */
function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Unit c's values over every (image, position) observation of x [n, units, P]. */
function series(x: Float32Array, n: number, units: number, P: number, c: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < n; b++) for (let p = 0; p < P; p++) out.push(x[(b * units + c) * P + p]);
  return out;
}

/** The statistics computed directly: every value visited in plain loops, correlations by a double loop over unit pairs. */
function naive(x: Float32Array, n: number, units: number, P: number, corrUnits: readonly number[]) {
  const all = Array.from(x);
  const mean = all.reduce((s, v) => s + v, 0) / all.length;
  const std = Math.sqrt(all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length);
  const sparsity = all.filter((v) => !(v > 0)).length / all.length;
  const dead: number[] = [];
  for (let c = 0; c < units; c++) if (!series(x, n, units, P, c).some((v) => v > 0)) dead.push(c);
  const varies = corrUnits.map((c) => new Set(series(x, n, units, P, c)).size > 1);
  const K = corrUnits.length;
  const r = new Float64Array(K * K).fill(NaN);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      if (!varies[i] || !varies[j]) continue;
      r[i * K + j] = i === j ? 1 : pearson(series(x, n, units, P, corrUnits[i]), series(x, n, units, P, corrUnits[j]));
      if (j > i) {
        sum += Math.abs(r[i * K + j]);
        pairs++;
      }
    }
  }
  return { mean, std, sparsity, dead, r, meanAbs: pairs ? sum / pairs : NaN, zeros: all.filter((v) => v === 0).length / all.length };
}

/**
 * n images of `units` units × P positions: ReLU of correlated Gaussians (unit c mixes a shared
 * factor with weight c/units), unit `deadUnit` all ≤ 0 before the ReLU, unit `constUnit` a
 * constant 0.7, so the dead and the constant cases are both present.
 */
function activations(seed: number, n: number, units: number, P: number, deadUnit: number, constUnit: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n * units * P);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < P; p++) {
      const shared = rng.normal();
      for (let c = 0; c < units; c++) {
        const w = c / units;
        let v = w * shared + (1 - w) * rng.normal() + 0.1;
        if (c === deadUnit) v = -Math.abs(v);
        if (c === constUnit) v = 0.7;
        x[(b * units + c) * P + p] = Math.max(0, v);
      }
    }
  }
  return x;
}

function check(d: LayerDiagnostics, want: ReturnType<typeof naive>, what: string): void {
  expect(d.sparsity, `${what}: sparsity`).toBeCloseTo(want.sparsity, 12);
  expect(d.dead, `${what}: dead units`).toEqual(want.dead);
  expect(d.deadUnits, what).toBe(want.dead.length);
  expect(d.mean, `${what}: mean`).toBeCloseTo(want.mean, 9);
  expect(d.std, `${what}: std`).toBeCloseTo(want.std, 9);
  expect(d.histogram.zeros, `${what}: zeros`).toBeCloseTo(want.zeros, 12);
  expect(d.meanAbsCorrelation, `${what}: mean |r|`).toBeCloseTo(want.meanAbs, 9);
  const K = d.correlationUnits.length;
  for (let i = 0; i < K * K; i++) {
    if (Number.isNaN(want.r[i])) expect(d.correlation[i], `${what}: r[${Math.floor(i / K)}, ${i % K}] undefined`).toBeNaN();
    else expect(Math.abs(d.correlation[i] - want.r[i]), `${what}: r[${Math.floor(i / K)}, ${i % K}]`).toBeLessThan(1e-9);
  }
}

describe('UnitAccumulator', () => {
  it('conv output [7, 6, 3, 4] in batches of 3, 3, 1: sparsity, dead units, Pearson r between channels over images×positions, mean, std match direct computation (seed 5)', () => {
    const [n, units, h, w] = [7, 6, 3, 4];
    const P = h * w;
    const x = activations(5, n, units, P, 2, 4);
    const acc = new UnitAccumulator([units, h, w], { expectedValues: x.length });
    const per = units * P;
    acc.add(x.subarray(0, 3 * per), 3);
    acc.add(x.subarray(3 * per, 6 * per), 3);
    acc.add(x.subarray(6 * per), 1);
    const d = acc.result({ node: 'relu', value: 'relu', op: 'Relu' });
    const want = naive(x, n, units, P, [0, 1, 2, 3, 4, 5]);
    check(d, want, 'seed 5');
    expect(want.dead, 'the fixture has its dead unit').toEqual([2]);
    expect(d.constantUnits, 'dead unit 2 and constant unit 4').toBe(2);
    expect(d.rectified).toBe(true);
    expect([d.units, d.images, d.observations]).toEqual([6, 7, 7 * 12]);
    for (let c = 0; c < units; c++) {
      const s = series(x, n, units, P, c);
      expect(d.activeFraction[c], `unit ${c} active fraction`).toBeCloseTo(s.filter((v) => v > 0).length / s.length, 12);
    }
  });

  it('dense output [40, 9] with a dead and a constant feature; non-rectified values count ≤ 0 as inactive (seed 11)', () => {
    const [n, units] = [40, 9];
    const x = activations(11, n, units, 1, 0, 8);
    // Shift every value by −0.3: no longer rectified, sparsity counts the values ≤ 0.
    for (let i = 0; i < x.length; i++) x[i] -= 0.3;
    const acc = new UnitAccumulator([units]);
    acc.add(x, n);
    const d = acc.result({ node: 'fc', value: 'fc', op: 'Gemm' });
    check(d, naive(x, n, units, 1, [0, 1, 2, 3, 4, 5, 6, 7, 8]), 'seed 11');
    expect(d.rectified).toBe(false);
    expect(d.dead).toContain(0);
  });

  it('more units than maxCorrelationUnits: r over evenly spaced units matches the double loop on those (seed 3)', () => {
    const [n, units, P] = [12, 10, 5];
    const x = activations(3, n, units, P, 7, 1);
    const acc = new UnitAccumulator([units, P], { maxCorrelationUnits: 4 });
    acc.add(x, n);
    const d = acc.result({ node: 'a', value: 'a', op: 'Relu' });
    expect(d.correlationUnits).toEqual([0, 2, 5, 7]);
    check(d, naive(x, n, units, P, [0, 2, 5, 7]), 'seed 3, 4 of 10 units');
  });

  it('histogram: with every value sampled, non-zero values fall in the bins a direct count gives (seed 8)', () => {
    const [n, units, P] = [10, 4, 6];
    const x = activations(8, n, units, P, 3, -1);
    const acc = new UnitAccumulator([units, P], { histogramBins: 5, histogramSamples: x.length });
    acc.add(x, n);
    const { histogram: hist, min, max } = acc.result({ node: 'a', value: 'a', op: 'Relu' });
    const all = Array.from(x);
    expect([hist.lo, hist.hi]).toEqual([Math.min(...all), Math.max(...all)]);
    expect(hist.sampled).toBe(x.length);
    expect([min, max]).toEqual([hist.lo, hist.hi]);
    const want = [0, 0, 0, 0, 0];
    const width = (hist.hi - hist.lo) / 5;
    for (const v of all) if (v !== 0) want[Math.min(4, Math.floor((v - hist.lo) / width))]++;
    expect(hist.counts).toEqual(want);
  });

  it('histogram sampling keeps to its budget at a fixed stride', () => {
    const x = Float32Array.from({ length: 3 * 2 * 50 }, (_, i) => (i % 7) + 1);
    const acc = new UnitAccumulator([2, 50], { histogramSamples: 30, expectedValues: x.length });
    acc.add(x, 3);
    const { histogram } = acc.result({ node: 'a', value: 'a', op: 'Relu' });
    expect(histogram.sampled).toBe(30);
    expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('rejects a wrong number of values, a bad unit shape, and results before any image', () => {
    const acc = new UnitAccumulator([3, 2]);
    expect(() => acc.add(new Float32Array(5), 1)).toThrowError(/1 examples of \[3, 2\] need 6 values, found 5/);
    expect(() => acc.result({ node: 'a', value: 'a', op: 'Relu' })).toThrowError(/no images were added/);
    expect(() => new UnitAccumulator([0, 2])).toThrowError(/positive sizes/);
    expect(() => new UnitAccumulator([4], { maxCorrelationUnits: 1 })).toThrowError(/maxCorrelationUnits/);
  });
});
