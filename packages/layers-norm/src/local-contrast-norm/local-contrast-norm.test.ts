import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { LocalContrastNorm, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, normLayers);

describe('LocalContrastNorm: finite differences (float64), through the local mean, σ and c', () => {
  gradcheckPlugin({ ...normLayers, cases: normLayers.cases.filter((c) => c.layer === LocalContrastNorm) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

type Maps = { x: Float64Array; n: number; c: number; h: number; w: number };

/**
 * The 2-D window written out without separability: weight exp(−(p²+q²)/2σ²) at offset (p, q),
 * divided by the sum of the weights that fall inside the image, shared by the C maps (1/C).
 */
function windowMean(v: (i: number, j: number, k: number) => number, m: Omit<Maps, 'x' | 'n'>, size: number, sigma: number, j: number, k: number): number {
  const r = (size - 1) / 2;
  let acc = 0;
  let z = 0;
  for (let p = -r; p <= r; p++) {
    for (let q = -r; q <= r; q++) {
      if (j + p < 0 || j + p >= m.h || k + q < 0 || k + q >= m.w) continue;
      const wpq = Math.exp(-(p * p + q * q) / (2 * sigma * sigma));
      z += wpq;
      for (let i = 0; i < m.c; i++) acc += wpq * v(i, j + p, k + q);
    }
  }
  return acc / (z * m.c);
}

/** Jarrett et al.'s subtractive then divisive normalization, directly from the definition, one sample. */
function reference(m: Maps, b: number, size: number, sigma: number, cFixed?: number) {
  const { c, h, w } = m;
  const at = (i: number, j: number, k: number) => ((b * c + i) * h + j) * w + k;
  const mean = new Float64Array(h * w);
  for (let j = 0; j < h; j++) for (let k = 0; k < w; k++) mean[j * w + k] = windowMean((i, jj, kk) => m.x[at(i, jj, kk)], m, size, sigma, j, k);
  const v = (i: number, j: number, k: number) => m.x[at(i, j, k)] - mean[j * w + k];
  const sigmaMap = new Float64Array(h * w);
  for (let j = 0; j < h; j++) for (let k = 0; k < w; k++) sigmaMap[j * w + k] = Math.sqrt(windowMean((i, jj, kk) => v(i, jj, kk) ** 2, m, size, sigma, j, k));
  const floor = cFixed ?? sigmaMap.reduce((s, t) => s + t, 0) / (h * w);
  const y = new Float64Array(c * h * w);
  for (let i = 0; i < c; i++) for (let j = 0; j < h; j++) for (let k = 0; k < w; k++) y[(i * h + j) * w + k] = v(i, j, k) / Math.max(floor, sigmaMap[j * w + k]);
  return { y, sigmaMap, floor };
}

function run(m: Maps, attrs: { size: number; sigma: number; c?: number }): Float64Array {
  const backend = createCpuBackend({ dtype: 'float64' });
  const model = new Sequential([null, m.c, m.h, m.w], { registry }).add(LocalContrastNorm, attrs, 'lcn').build({ backend });
  const xt = backend.tensor(m.x, [m.n, m.c, m.h, m.w]);
  const y = model.predict(xt).readSync() as Float64Array;
  xt.dispose();
  model.dispose();
  return y;
}

/** Maps whose offset and contrast both vary across the image, so normalization has work to do. */
function draw(seed: number, n: number, c: number, h: number, w: number): Maps {
  const r = new Rng(seed);
  const x = new Float64Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let i = 0; i < c; i++) for (let j = 0; j < h; j++) for (let k = 0; k < w; k++) {
    const offset = 10 + 3 * Math.sin(j / 8 + b) + 0.3 * k;
    const contrast = 0.2 + (3 * (j + k)) / (h + w);
    x[((b * c + i) * h + j) * w + k] = offset + contrast * r.normal();
  }
  return { x, n, c, h, w };
}

describe('LocalContrastNorm', () => {
  const configs = [
    { name: '7×7 σ 2 (defaults), c = mean σ, on 2×3×10×9', attrs: { size: 7, sigma: 2 }, shape: [2, 3, 10, 9] },
    { name: '5×5 σ 1, fixed c = 1.5, on 1×2×8×8', attrs: { size: 5, sigma: 1, c: 1.5 }, shape: [1, 2, 8, 8] },
    { name: '9×9 σ 3 wider than the 6×5 maps', attrs: { size: 9, sigma: 3 }, shape: [1, 2, 6, 5] },
  ];
  for (const [t, cfg] of configs.entries()) {
    it(`equals the definition computed with an explicit renormalized 2-D window: ${cfg.name} (seed ${30 + t})`, () => {
      const [n, c, h, w] = cfg.shape;
      const m = draw(30 + t, n, c, h, w);
      const y = run(m, cfg.attrs);
      const per = m.c * m.h * m.w;
      for (let b = 0; b < m.n; b++) {
        const ref = reference(m, b, cfg.attrs.size, cfg.attrs.sigma, cfg.attrs.c);
        // Separable filtering versus a direct 2-D sum in float64: both are sums of ≤ 81·C terms of
        // magnitude ≤ 20, rounding ~1e-14 on the mean; |y| < 10, so 1e-11 absolute is a safe bound.
        ref.y.forEach((v, i) => expect(Math.abs(y[b * per + i] - v)).toBeLessThanOrEqual(1e-11));
      }
    });
  }

  it('output has local mean ≈ 0 everywhere and local standard deviation ≈ 1 where σ_local > c (seed 40)', () => {
    const m = draw(40, 1, 4, 24, 24);
    const size = 7;
    const sigma = 2;
    const y = run(m, { size, sigma });
    const { sigmaMap, floor } = reference(m, 0, size, sigma);
    const ym: Maps = { x: y, n: 1, c: 4, h: 24, w: 24 };
    const at = (i: number, j: number, k: number) => (i * 24 + j) * 24 + k;
    let worstMean = 0;
    let sumSq = 0;
    const stds: number[] = [];
    for (let j = 0; j < 24; j++) {
      for (let k = 0; k < 24; k++) {
        const mu = windowMean((i, jj, kk) => y[at(i, jj, kk)], ym, size, sigma, j, k);
        worstMean = Math.max(worstMean, Math.abs(mu));
        sumSq += mu * mu;
        if (sigmaMap[j * 24 + k] > floor) stds.push(Math.sqrt(windowMean((i, jj, kk) => (y[at(i, jj, kk)] - mu) ** 2, ym, size, sigma, j, k)));
      }
    }
    // The input's local contrast varies about 10-fold across the image (and its local mean is ~10).
    expect(Math.max(...sigmaMap) / Math.min(...sigmaMap)).toBeGreaterThan(5);
    // The mean subtracted at (j, k) is the window mean around (j, k) only, so y's window mean is
    // (m − G(m))/d: the high-pass part of m's sampling noise, whose spread is about
    // contrast/√(effective samples ≈ 4πσ²·C ≈ 200)/d ≈ 0.07. RMS over the map below 0.15, and the
    // worst of 576 positions (≈ 4 spreads) below 0.4. Measured: RMS 0.070, worst 0.27.
    expect(Math.sqrt(sumSq / (24 * 24))).toBeLessThan(0.15);
    expect(worstMean).toBeLessThan(0.4);
    // Where σ > c the divisor is σ itself, so y's local standard deviation is 1 up to σ's variation
    // across the window: its average over those positions within 3 %, each within 15 %.
    // Measured: average 0.995, range 0.90 … 1.05 over 264 positions.
    expect(stds.length).toBeGreaterThan(100);
    const meanStd = stds.reduce((a, b) => a + b, 0) / stds.length;
    expect(Math.abs(meanStd - 1)).toBeLessThan(0.03);
    for (const s of stds) expect(Math.abs(s - 1)).toBeLessThan(0.15);
  });

  it('rejects an even window size and a rank-3 input, naming the node and the value', () => {
    const backend = createCpuBackend();
    expect(() => new Sequential([null, 2, 8, 8], { registry }).add(LocalContrastNorm, { size: 6 }, 'lcn2').build({ backend })).toThrowError(HubelError);
    expect(() => new Sequential([null, 2, 8, 8], { registry }).add(LocalContrastNorm, { size: 6 }, 'lcn2').build({ backend })).toThrowError(
      /node 'lcn2' \(ai.hubel.LocalContrastNorm\): attribute 'size': expected an odd window side, found 6/,
    );
    expect(() => new Sequential([null, 2, 8], { registry }).add(LocalContrastNorm, undefined, 'lcn3').build({ backend })).toThrowError(/node 'lcn3'.*expected a 4-D input/);
    expect(() => LocalContrastNorm.resolve({ sigma: 0 }, "node 'l'")).toThrowError(/attribute 'sigma': expected > 0, found 0/);
  });
});
