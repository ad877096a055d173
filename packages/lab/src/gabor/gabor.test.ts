import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, Registry, Rng, defineKernel, defineLayer, definePlugin, attr } from '@hubel/core';
import { bankPictures, filterSpectra, fitGabor, formatGaborFits, gaborFitImage, gaborFitReport, gaborFitSvg, magnitudeSpectrum, modelGaborFits, spectrumPeak, summarizeR2 } from '@hubel/lab';
import { describe, expect, it } from 'vitest';

/** A Gabor written out here (x right, y down from the kernel centre), independent of the lab's and layers-conv's. */
interface P { x0: number; y0: number; theta: number; lambda: number; sigma: number; gamma: number; psi: number; A: number }
function gabor(h: number, w: number, p: P): Float64Array {
  const out = new Float64Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const dx = c - (w - 1) / 2 - p.x0, dy = r - (h - 1) / 2 - p.y0;
      const xr = dx * Math.cos(p.theta) + dy * Math.sin(p.theta);
      const yr = -dx * Math.sin(p.theta) + dy * Math.cos(p.theta);
      out[r * w + c] = p.A * Math.exp(-(xr ** 2 + p.gamma ** 2 * yr ** 2) / (2 * p.sigma ** 2)) * Math.cos((2 * Math.PI * xr) / p.lambda + p.psi);
    }
  }
  return out;
}

/** The DFT of an h×w filter zero-padded to n×n at bin (ky, kx), summed directly: no FFT. */
function naiveDft(f: Float64Array, h: number, w: number, n: number, ky: number, kx: number): number {
  let re = 0, im = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const ph = (-2 * Math.PI * (ky * r + kx * c)) / n;
      re += f[r * w + c] * Math.cos(ph);
      im += f[r * w + c] * Math.sin(ph);
    }
  }
  return Math.hypot(re, im);
}

const angleDiff = (a: number, b: number, period: number) => Math.abs((((a - b) % period) + 1.5 * period) % period - period / 2);

describe('spectra (fft.js, rows then columns)', () => {
  it('a 5×7 filter padded to 8×8: every shifted bin equals the directly summed DFT', () => {
    const rng = new Rng(3);
    const f = Float64Array.from({ length: 35 }, () => rng.normal());
    const mag = magnitudeSpectrum(f, 5, 7, 8);
    for (let row = 0; row < 8; row++) {
      for (let col = 0; col < 8; col++) {
        // fftshift: shifted (row, col) holds bin ((row + 4) mod 8, (col + 4) mod 8).
        expect(mag[row * 8 + col]).toBeCloseTo(naiveDft(f, 5, 7, 8, (row + 4) % 8, (col + 4) % 8), 10);
      }
    }
  });

  it.each([
    [0, 6],
    [Math.PI / 3, 6],
    [(5 * Math.PI) / 8, 4],
    [(7 * Math.PI) / 8, 10],
  ])('31×31 Gabor θ %f, λ %f padded to 64: the peak is within one bin of n·(cos θ, sin θ)/λ from the centre', (theta, lambda) => {
    const f = gabor(31, 31, { x0: 0, y0: 0, theta, lambda, sigma: 0.56 * lambda, gamma: 0.5, psi: 0, A: 1 });
    const peak = spectrumPeak(magnitudeSpectrum(f, 31, 31, 64), 64);
    const ex = (64 * Math.cos(theta)) / lambda, ey = (64 * Math.sin(theta)) / lambda;
    // |F| of a real filter is symmetric: the peak may be either lobe.
    const d = Math.min(Math.hypot(peak.column - 32 - ex, peak.row - 32 - ey), Math.hypot(peak.column - 32 + ex, peak.row - 32 + ey));
    expect(d, `peak at (${peak.column}, ${peak.row}), expected ±(${ex}, ${ey}) from (32, 32)`).toBeLessThanOrEqual(Math.SQRT2); // ±1 bin on each axis
    expect(Math.hypot(peak.fx, peak.fy) * lambda).toBeCloseTo(1, 1);
  });

  it('filterSpectra: one spectrum per filter and their peak-normalized sum; default size the power of two ≥ 2·size', () => {
    const f = new Float64Array([...gabor(9, 9, { x0: 0, y0: 0, theta: 0, lambda: 4, sigma: 2, gamma: 1, psi: 0, A: 1 }), ...gabor(9, 9, { x0: 0, y0: 0, theta: 1, lambda: 3, sigma: 2, gamma: 1, psi: 1, A: 1 })]);
    const s = filterSpectra(f, 2, 9, 9);
    expect(s.size).toBe(32);
    expect(s.spectra.length).toBe(2 * 32 * 32);
    // Each spectrum enters the sum scaled to peak 1.
    const peak = (k: number) => Math.max(...s.spectra.subarray(k * 1024, (k + 1) * 1024));
    for (const i of [0, 100, 528, 1023]) expect(s.sum[i]).toBeCloseTo(s.spectra[i] / peak(0) + s.spectra[1024 + i] / peak(1), 12);
    expect(Math.max(...s.sum)).toBeLessThanOrEqual(2 + 1e-12);
    expect(() => filterSpectra(f, 2, 9, 9, { fftSize: 24 })).toThrow(/power of two/);
    expect(() => filterSpectra(f, 2, 9, 9, { fftSize: 8 })).toThrow(/smaller than the 9×9 filter/);
  });

  it('bankPictures: bank and spectra grids in the same layout, side by side, and the tiling picture', () => {
    const filters = new Float64Array(8 * 15 * 15);
    for (let k = 0; k < 8; k++) filters.set(gabor(15, 15, { x0: 0, y0: 0, theta: (k % 4) * (Math.PI / 4), lambda: k < 4 ? 3 : 6, sigma: 3, gamma: 0.5, psi: 0, A: 1 }), k * 225);
    const p = bankPictures(filters, 8, 15, 15, { columns: 4 });
    // Tiles: 15·4 = 60 px and 32·2 = 64 px wide, 1-px gaps; 2 rows.
    expect([p.bank.width, p.bank.height]).toEqual([4 * 60 + 5, 2 * 60 + 3]);
    expect([p.spectra.width, p.spectra.height]).toEqual([4 * 64 + 5, 2 * 64 + 3]);
    expect([p.sideBySide.width, p.sideBySide.height]).toEqual([p.bank.width + 16 + p.spectra.width, p.spectra.height]);
    // The tiling picture has its own 256-point FFT, drawn at ×2.
    expect([p.tiling.width, p.tiling.height]).toEqual([256 * 2 + 2, 256 * 2 + 2]);
  });
});

describe('fitGabor', () => {
  it.each([
    // Tolerances: the noise (2% of A per pixel) limits how well each parameter is determined;
    // measured errors are ≤ 0.15°, 0.3%, 0.4%, 0.6% and 0.06 rad (ψ on 7×7, where 49 pixels
    // carry about 1.5 cycles). The bounds below are 3–10× those, still far tighter than the
    // start grid (15°, factors of 1.5 in λ and 2 in σ), so they show the refinement works.
    ['15×15', 15, { x0: 0.6, y0: -0.4, theta: 0.7, lambda: 6, sigma: 2.5, gamma: 0.8, psi: 1, A: 1 }, 5],
    ['7×7', 7, { x0: 0.3, y0: 0.2, theta: 2.2, lambda: 4, sigma: 1.5, gamma: 0.6, psi: 4, A: 0.3 }, 5],
    ['11×11 odd, elongated across', 11, { x0: -1, y0: 0.5, theta: 1.3, lambda: 7, sigma: 2, gamma: 1.4, psi: 0.2, A: 2 }, 6],
  ] as const)('%s: a Gabor plus noise of σ = 0.02·A is recovered with R² > 0.95 and parameters near the truth', (_name, h, p, seed) => {
    const rng = new Rng(seed);
    const f = gabor(h, h, p).map((v) => v + 0.02 * p.A * rng.normal());
    const fit = fitGabor(f, h, h);
    expect(fit.r2, `seed ${seed}`).toBeGreaterThan(0.95);
    const q = fit.params;
    expect(angleDiff(q.theta, p.theta, Math.PI), `seed ${seed}: θ ${q.theta} vs ${p.theta}`).toBeLessThan((1 * Math.PI) / 180);
    expect(Math.abs(q.wavelength / p.lambda - 1), `λ ${q.wavelength}`).toBeLessThan(0.02);
    expect(Math.abs(q.sigma / p.sigma - 1), `σ ${q.sigma}`).toBeLessThan(0.03);
    expect(Math.abs(q.gamma / p.gamma - 1), `γ ${q.gamma}`).toBeLessThan(0.05);
    expect(angleDiff(q.phase, p.psi, 2 * Math.PI), `ψ ${q.phase}`).toBeLessThan(0.15);
    expect(Math.hypot(q.x0 - p.x0, q.y0 - p.y0)).toBeLessThan(0.1);
    expect(Math.abs(q.amplitude / p.A - 1)).toBeLessThan(0.05);
    // The returned fit is the Gabor of the returned parameters.
    const again = gabor(h, h, { x0: q.x0, y0: q.y0, theta: q.theta, lambda: q.wavelength, sigma: q.sigma, gamma: q.gamma, psi: q.phase, A: q.amplitude });
    for (let i = 0; i < h * h; i += 5) expect(fit.fitted[i]).toBeCloseTo(again[i], 12);
  });

  it('white-noise 11×11 filters get a low R² (seeds 1–6)', () => {
    // Eight searched parameters explain some of any 121 values: measured 0.06–0.20 on noise.
    // 0.4 is twice the worst seen and far below the > 0.95 of real Gabors.
    for (let seed = 1; seed <= 6; seed++) {
      const rng = new Rng(seed);
      const r2 = fitGabor(Float64Array.from({ length: 121 }, () => rng.normal()), 11, 11).r2;
      expect(r2, `seed ${seed}`).toBeLessThan(0.4);
    }
  });

  it('a constant filter has nothing to explain: R² 0; filters under 3×3 are refused', () => {
    expect(fitGabor(new Float64Array(49).fill(0.5), 7, 7).r2).toBe(0);
    expect(() => fitGabor(new Float64Array(4), 2, 2)).toThrow(/at least 3×3/);
  });

  it('summarizeR2: quartiles by linear interpolation (numpy default)', () => {
    const s = summarizeR2([0.9, 0.1, 0.5, 0.3, 0.7]);
    expect(s).toMatchObject({ count: 5, min: 0.1, q1: 0.3, median: 0.5, q3: 0.7, max: 0.9 });
    expect(s.mean).toBeCloseTo(0.5, 12);
    expect(s.above).toEqual({ '0.5': 0.4, '0.8': 0.2, '0.9': 0 });
    expect(summarizeR2([0, 1]).q1).toBeCloseTo(0.25, 12);
  });
});

describe('modelGaborFits', () => {
  // A stand-in convolution layer (only its weight matters here): W [4, 2, 9, 9], output = input.
  const Filters = defineLayer({ domain: 'test', type: 'Filters', attrs: { n: attr.int({ default: 4 }) }, params: (a) => ({ W: { shape: [a.n, 2, 9, 9], init: 'zeros' } }), inferShapes: (_a, [x]) => [x] });
  const kernel = defineKernel(Filters, 'cpu', { forward: ({ backend, inputs: [x] }) => ({ outputs: [backend.ops.copy(x)] }) });
  const registry = new Registry().use(cpuBackend, definePlugin({ name: 'test', layers: [Filters], kernels: [kernel] }));

  it('fits every (filter, channel) or the channel sums; R² summary, noise baseline, picture, SVG, JSON and table', async () => {
    const W = new Float64Array(4 * 2 * 81);
    const rng = new Rng(9);
    for (let f = 0; f < 4; f++) {
      W.set(gabor(9, 9, { x0: 0, y0: 0, theta: f * 0.7, lambda: 4 + f, sigma: 2, gamma: 1, psi: f, A: 1 }), (f * 2) * 81);
      W.set(Float64Array.from({ length: 81 }, () => rng.normal()), (f * 2 + 1) * 81); // channel 1: noise
    }
    const g = new GraphBuilder({ registry });
    g.output(g.add(Filters, {}, g.input('x', [null, 1]), { name: 'conv1' }));
    const model = g.build({ backend: createCpuBackend({ dtype: 'float64' }), initialValues: { 'conv1.W': W } });
    const r = await modelGaborFits(model, 'conv1', { baseline: 5 });
    expect(r.fits.map((f) => [f.filter, f.channel])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [3, 1]]);
    for (const f of r.fits) {
      if (f.channel === 0) expect(f.r2).toBeGreaterThan(0.999); // exact Gabors, float64
      else expect(f.r2).toBeLessThan(0.5); // noise on 9×9: chance level ≈ 0.2
    }
    expect(r.summary.count).toBe(8);
    expect(r.noiseBaseline!.count).toBe(5);
    expect(r.noiseBaseline!.max).toBeLessThan(0.5);
    const sum = await modelGaborFits(model, 'conv1', { channels: 'sum', baseline: 0 });
    expect(sum.fits.map((f) => f.channel)).toEqual(['sum', 'sum', 'sum', 'sum']);
    expect(sum.noiseBaseline).toBeUndefined();
    const img = gaborFitImage(r);
    // Tiles 9×19 at scale round(72/19) = 4, 8 per row, 1-px gaps.
    expect([img.width, img.height]).toEqual([8 * 76 + 9, 36 + 2]);
    expect(gaborFitSvg(r)).toContain('R² 1.00');
    const json = JSON.parse(JSON.stringify(gaborFitReport(r)));
    expect(json.fits[2]).toMatchObject({ filter: 1, channel: 0 });
    expect(json.fits[2].params.wavelength).toBeCloseTo(5, 3);
    expect(formatGaborFits(r)).toMatch(/R² over 8 fits: median/);
    await expect(modelGaborFits(model, 'nope')).rejects.toThrow(/no layer named 'nope'/);
    model.dispose();
  });
});
