import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, HubelError, Registry } from '@hubel/core';
import { Conv, convLayers, defaultGaborWavelengths, gaborBank, gaborKernel, gaborSigma } from '@hubel/layers-conv';
import { describe, expect, it } from 'vitest';

/** The Gabor formula written out here, independently of the generator: x right, y down from the centre. */
function formula(x: number, y: number, theta: number, lambda: number, sigma: number, gamma: number, psi: number): number {
  const xr = x * Math.cos(theta) + y * Math.sin(theta);
  const yr = -x * Math.sin(theta) + y * Math.cos(theta);
  return Math.exp(-(xr ** 2 + gamma ** 2 * yr ** 2) / (2 * sigma ** 2)) * Math.cos((2 * Math.PI * xr) / lambda + psi);
}

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

/** |Σ f(r, c)·e^{−2πi(fx·c + fy·r)}|² evaluated directly (no FFT), coordinates from the kernel centre. */
function dtft2(f: Float64Array, h: number, w: number, fx: number, fy: number): number {
  let re = 0, im = 0;
  for (let r = 0; r < h; r++) {
    // Separable: the inner sum over columns, then one twiddle per row.
    let rr = 0, ri = 0;
    for (let c = 0; c < w; c++) {
      const ph = -2 * Math.PI * fx * (c - (w - 1) / 2);
      rr += f[r * w + c] * Math.cos(ph);
      ri += f[r * w + c] * Math.sin(ph);
    }
    const ph = -2 * Math.PI * fy * (r - (h - 1) / 2);
    re += rr * Math.cos(ph) - ri * Math.sin(ph);
    im += rr * Math.sin(ph) + ri * Math.cos(ph);
  }
  return re * re + im * im;
}

/**
 * The peak of the discrete-space Fourier magnitude over angles [0, π) (|F| of a real filter is
 * symmetric about the origin) and radii 0.01 … 0.5 cycles/px: a coarse polar grid (1°, 0.005),
 * then a fine one (0.05°, 0.0002) around the coarse peak. Returns angle (radians) and radius.
 */
function spectralPeak(f: Float64Array, h: number, w: number): { angle: number; freq: number } {
  const search = (a0: number, a1: number, da: number, f0: number, f1: number, df: number) => {
    let best = { angle: 0, freq: 0, mag: -1 };
    for (let angle = a0; angle <= a1; angle += da) {
      for (let fr = Math.max(f0, 0.01); fr <= Math.min(f1, 0.5); fr += df) {
        const mag = dtft2(f, h, w, fr * Math.cos(angle), fr * Math.sin(angle));
        if (mag > best.mag) best = { angle, freq: fr, mag };
      }
    }
    return best;
  };
  const deg = Math.PI / 180;
  const coarse = search(0, Math.PI - deg, deg, 0.01, 0.5, 0.005);
  const fine = search(coarse.angle - 1.5 * deg, coarse.angle + 1.5 * deg, 0.05 * deg, coarse.freq - 0.008, coarse.freq + 0.008, 0.0002);
  return { angle: (fine.angle + Math.PI) % Math.PI, freq: fine.freq };
}

describe('gaborBank', () => {
  it('size 15, 4 orientations × 2 wavelengths × 2 phases, γ 0.7: filters are the closed-form formula, mean-subtracted and scaled to unit norm', () => {
    const bank = gaborBank({ size: 15, orientations: 4, wavelengths: [4, 7], phases: [0, Math.PI / 2], gamma: 0.7 });
    expect(bank.count).toBe(16);
    const n = 15 * 15;
    for (let k = 0; k < bank.count; k++) {
      // Index order: (scale·phases + phase)·orientations + orientation.
      const theta = ((k % 4) * Math.PI) / 4;
      const psi = [0, Math.PI / 2][Math.floor(k / 4) % 2];
      const lambda = [4, 7][Math.floor(k / 8)];
      const sigma = gaborSigma(lambda, 1);
      const raw = Array.from({ length: n }, (_, i) => formula((i % 15) - 7, Math.floor(i / 15) - 7, theta, lambda, sigma, 0.7, psi));
      const mean = sum(raw) / n;
      const norm = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0));
      const f = bank.filters.subarray(k * n, (k + 1) * n);
      // Sampled points across the kernel: corners, centre, off-axis pixels.
      for (const i of [0, 14, 7 * 15 + 7, 3 * 15 + 11, 12 * 15 + 2, n - 1]) expect(f[i]).toBeCloseTo((raw[i] - mean) / norm, 12);
      expect(bank.params[k]).toMatchObject({ theta, wavelength: lambda, phase: psi, gamma: 0.7 });
    }
  });

  it('σ from the bandwidth: 1 octave gives σ/λ = 0.5622 (Petkov), and gaborKernel is unnormalized', () => {
    expect(gaborSigma(10, 1) / 10).toBeCloseTo(0.56217, 5);
    const k = gaborKernel({ theta: 0, wavelength: 5, sigma: 2, gamma: 1, phase: 0 }, 5);
    expect(k[12]).toBe(1); // the centre of an even filter: envelope 1, cos 0 = 1
  });

  it.each([
    ['31×31, 8 orientations, 4 scales', { size: 31 }],
    ['9×13, 6 orientations, 3 wavelengths, quadrature phases, γ 1', { size: [9, 13], orientations: 6, wavelengths: [2.5, 4, 6], phases: [0, Math.PI / 2], gamma: 1 }],
    ['7×7 with odd phase only', { size: 7, orientations: 4, scales: 2, phases: [Math.PI / 2] }],
  ] as const)('%s: every filter has zero mean and unit L2 norm', (_name, o) => {
    const bank = gaborBank(o);
    const n = bank.size[0] * bank.size[1];
    for (let k = 0; k < bank.count; k++) {
      const f = bank.filters.subarray(k * n, (k + 1) * n);
      // float64 sums of ≤ 961 terms of size ≤ 1: rounding stays far below 1e-12.
      expect(Math.abs(sum(f))).toBeLessThan(1e-12);
      expect(Math.sqrt(sum(f.map((v) => v * v)))).toBeCloseTo(1, 12);
    }
  });

  it('size 31, 8 orientations × 4 scales: the Fourier magnitude peaks at the requested orientation and at 1/λ', () => {
    const bank = gaborBank({ size: 31, orientations: 8, scales: 4 });
    expect(bank.wavelengths.map((l) => +l.toFixed(2))).toEqual([3, 4.81, 7.73, 12.4]);
    const n = 31 * 31;
    // One orientation per scale keeps the direct transform cheap; together they cover 4 of 8 angles.
    for (let s = 0; s < 4; s++) {
      const k = s * 8 + 2 * s + 1;
      const { theta, wavelength } = bank.params[k];
      const peak = spectralPeak(bank.filters.subarray(k * n, (k + 1) * n), 31, 31);
      // The fine grid steps are 0.05° and 0.0002 cycles/px (0.25% of 1/λ at λ = 12.4). Nothing
      // but the grid should move the peak much: the mirror lobe sits 7 spectral σ away and the
      // mean subtraction only changes |F| near 0 (measured: ≤ 0.05° and ≤ 0.06%). Allowing 4
      // grid steps, 0.2° and 1%, still tells neighbouring orientations (22.5° apart) and scales
      // (a factor 1.6 apart) far apart.
      const dAngle = Math.abs(((peak.angle - theta + Math.PI / 2) % Math.PI + Math.PI) % Math.PI - Math.PI / 2);
      expect(dAngle, `filter ${k}: θ ${theta}, peak at ${peak.angle}`).toBeLessThan((0.2 * Math.PI) / 180);
      expect(Math.abs(peak.freq * wavelength - 1), `filter ${k}: λ ${wavelength}, peak at ${peak.freq} cycles/px`).toBeLessThan(0.01);
    }
  });

  it('default wavelengths run from 3 px to max(4, size/2.5) px', () => {
    expect(defaultGaborWavelengths(31, 4)[0]).toBe(3);
    expect(defaultGaborWavelengths(31, 4)[3]).toBeCloseTo(12.4, 12);
    expect(defaultGaborWavelengths(7, 2)).toEqual([3, 4]);
    expect(defaultGaborWavelengths(31, 1)[0]).toBeCloseTo(Math.sqrt(3 * 12.4), 12);
  });

  it('rejects wavelengths under 2 px, bad sizes and a constant filter, naming the option', () => {
    expect(() => gaborBank({ size: 15, wavelengths: [1.5] })).toThrow(/wavelengths must be at least 2 pixels/);
    expect(() => gaborBank({ size: 0 })).toThrow(/size must be a positive integer/);
    expect(() => gaborBank({ size: 1, wavelengths: [4] })).toThrow(/all zeros once its mean is removed/);
    expect(() => gaborBank({ size: 5, sigmas: [1] })).toThrow(/sigmas must be 4 positive numbers/);
  });
});

describe("Conv init 'gabor'", () => {
  const registry = new Registry().use(cpuBackend, convLayers);

  it('3 input channels, 4 orientations × 2 scales: output channel o is filter o on every channel, divided by √3', async () => {
    const g = new GraphBuilder({ registry });
    const x = g.input('x', [null, 3, 16, 16]);
    g.output(g.add(Conv, { outChannels: 8, kernelShape: [11, 11], init: 'gabor', gaborOrientations: 4, gaborScales: 2, bias: false }, x, { name: 'conv1' }));
    const model = g.build({ backend: createCpuBackend() });
    const W = await model.node('conv1').params.W.read();
    const bank = gaborBank({ size: 11, orientations: 4, scales: 2 });
    const n = 121;
    for (let o = 0; o < 8; o++) {
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < n; i += 17) expect(W[(o * 3 + c) * n + i]).toBeCloseTo(bank.filters[o * n + i] / Math.sqrt(3), 6); // float32 storage: ~1e-7 relative
      }
    }
    model.dispose();
  });

  it('says how many filters the bank has when outChannels differs, and that it needs a 2-D kernel', () => {
    const g = new GraphBuilder({ registry });
    const x = g.input('x', [null, 1, 16, 16]);
    expect(() => g.add(Conv, { outChannels: 10, kernelShape: [7, 7], init: 'gabor' }, x)).toThrow(/8 orientations × 4 scales × 1 phases has 32 filters, but outChannels is 10/);
    expect(() => g.add(Conv, { outChannels: 8, kernelShape: [7], init: 'gabor', gaborScales: 1 }, x)).toThrow(HubelError);
    expect(() => g.add(Conv, { outChannels: 8, kernelShape: [7], init: 'gabor', gaborScales: 1 }, x)).toThrow(/needs a 2-D kernel/);
  });
});
