/**
 * 2-D Fourier magnitudes of small filters, by fft.js (a radix-4 FFT) applied to the rows and
 * then to the columns of the filter zero-padded to n×n, n a power of two. Shifted so that the
 * zero frequency sits at (n/2, n/2) (fftshift): column c holds fx = (c − n/2)/n and row r holds
 * fy = (r − n/2)/n cycles per pixel, y pointing down as the filter's rows do.
 */
import { HubelError } from '@hubel/core';
import FFT from 'fft.js';

/** The smallest power of two ≥ `v` (and ≥ 2). */
export function nextPowerOfTwo(v: number): number {
  let n = 2;
  while (n < v) n *= 2;
  return n;
}

function checkFftSize(n: number, h: number, w: number, where: string): void {
  if (!(Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0)) throw new HubelError('attribute', `${where}: the FFT size must be a power of two ≥ 2, found ${n}`);
  if (n < h || n < w) throw new HubelError('attribute', `${where}: the FFT size ${n} is smaller than the ${h}×${w} filter`);
}

/**
 * |F| of one h×w filter (row-major values) zero-padded to n×n, fftshifted, as n·n values
 * (row-major, rows = fy, columns = fx). The filter's placement in the padding changes only
 * the phase, not the magnitude. Throws HubelError 'attribute' when n is not a power of two
 * at least as large as the filter.
 */
export function magnitudeSpectrum(filter: ArrayLike<number>, h: number, w: number, n: number): Float64Array {
  checkFftSize(n, h, w, 'magnitudeSpectrum');
  if (filter.length < h * w) throw new HubelError('shape', `magnitudeSpectrum: a ${h}×${w} filter needs ${h * w} values, found ${filter.length}`);
  const fft = new FFT(n);
  // Interleaved complex values (re, im), row-major n×n.
  const grid = new Float64Array(2 * n * n);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) grid[2 * (r * n + c)] = filter[r * w + c];
  const line = new Float64Array(2 * n);
  const out = new Float64Array(2 * n);
  for (let r = 0; r < h; r++) {
    // Rows below h are all zero and stay zero: only the filter's rows need a transform.
    line.set(grid.subarray(2 * r * n, 2 * (r + 1) * n));
    fft.transform(out, line);
    grid.set(out, 2 * r * n);
  }
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < n; r++) {
      line[2 * r] = grid[2 * (r * n + c)];
      line[2 * r + 1] = grid[2 * (r * n + c) + 1];
    }
    fft.transform(out, line);
    for (let r = 0; r < n; r++) {
      grid[2 * (r * n + c)] = out[2 * r];
      grid[2 * (r * n + c) + 1] = out[2 * r + 1];
    }
  }
  const mag = new Float64Array(n * n);
  const half = n / 2;
  for (let ky = 0; ky < n; ky++) {
    const row = (ky + half) % n;
    for (let kx = 0; kx < n; kx++) {
      const re = grid[2 * (ky * n + kx)];
      const im = grid[2 * (ky * n + kx) + 1];
      mag[row * n + ((kx + half) % n)] = Math.hypot(re, im);
    }
  }
  return mag;
}

/** Where a shifted n×n magnitude spectrum peaks: the bin and its frequency. */
export interface SpectrumPeak {
  /** Column of the peak in the shifted spectrum. */
  readonly column: number;
  /** Row of the peak in the shifted spectrum. */
  readonly row: number;
  /** Horizontal frequency, cycles per pixel: (column − n/2)/n. */
  readonly fx: number;
  /** Vertical frequency (y down), cycles per pixel: (row − n/2)/n. */
  readonly fy: number;
  /** |F| there. */
  readonly magnitude: number;
}

/**
 * The largest value of a shifted n×n magnitude spectrum (from {@link magnitudeSpectrum}). A real
 * filter's spectrum is symmetric about the centre, so the mirrored bin is as large: ties go to
 * the first in row-major order (the upper half, fy ≤ 0).
 */
export function spectrumPeak(spectrum: ArrayLike<number>, n: number): SpectrumPeak {
  if (spectrum.length !== n * n) throw new HubelError('shape', `spectrumPeak: an ${n}×${n} spectrum needs ${n * n} values, found ${spectrum.length}`);
  let best = 0;
  for (let i = 1; i < spectrum.length; i++) if (spectrum[i] > spectrum[best] * (1 + 1e-9)) best = i;
  const row = Math.floor(best / n);
  const column = best % n;
  return { column, row, fx: (column - n / 2) / n, fy: (row - n / 2) / n, magnitude: spectrum[best] };
}

/** Options of {@link filterSpectra}. */
export interface FilterSpectraOptions {
  /** FFT size n, a power of two ≥ the filter; default the smallest power of two ≥ 2·max(h, w), so the zero-padding interpolates each lobe. */
  readonly fftSize?: number;
}

/** The magnitude spectra of a bank of filters, and their sum. */
export interface FilterSpectra {
  /** FFT size n: each spectrum is n×n. */
  readonly size: number;
  /** Number of filters. */
  readonly count: number;
  /** `count` shifted magnitude spectra of n·n values each, in the filters' order. */
  readonly spectra: Float64Array;
  /**
   * The sum of all magnitude spectra, each first scaled to peak 1 (n·n): how the bank tiles the
   * frequency plane. Unit-norm filters have equal spectral energy, so a low-frequency filter's
   * narrow lobe peaks far higher than a high-frequency filter's wide one; scaling each to peak 1
   * gives every filter's passband the same height, so gaps and overlaps show. Each lobe pair is
   * one (orientation, scale).
   */
  readonly sum: Float64Array;
}

/**
 * The shifted 2-D Fourier magnitude of each of `count` h×w filters stored one after another
 * in `filters` ([count, h, w], row-major), and their peak-normalized sum. Throws HubelError on too few values
 * or a bad FFT size.
 */
export function filterSpectra(filters: ArrayLike<number>, count: number, h: number, w: number, o: FilterSpectraOptions = {}): FilterSpectra {
  if (!(Number.isInteger(count) && count >= 1)) throw new HubelError('attribute', `filterSpectra: count must be a positive integer, found ${count}`);
  if (filters.length < count * h * w) throw new HubelError('shape', `filterSpectra: ${count} filters of ${h}×${w} need ${count * h * w} values, found ${filters.length}`);
  const n = o.fftSize ?? nextPowerOfTwo(2 * Math.max(h, w));
  checkFftSize(n, h, w, 'filterSpectra');
  const spectra = new Float64Array(count * n * n);
  const sum = new Float64Array(n * n);
  const filter = new Float64Array(h * w);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < h * w; i++) filter[i] = filters[k * h * w + i];
    const mag = magnitudeSpectrum(filter, h, w, n);
    spectra.set(mag, k * n * n);
    let peak = 0;
    for (const v of mag) peak = Math.max(peak, v);
    if (peak > 0) for (let i = 0; i < n * n; i++) sum[i] += mag[i] / peak;
  }
  return { size: n, count, spectra, sum };
}
