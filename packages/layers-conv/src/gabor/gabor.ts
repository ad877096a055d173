/**
 * Gabor functions and filter banks, the model of V1 simple cells (Daugman 1985; Jones &
 * Palmer 1987) and the S1 layer of HMAX (Serre et al. 2007):
 *   g(x, y) = A · exp(−(x'² + γ²·y'²) / (2σ²)) · cos(2π·x'/λ + ψ),
 *   x' = (x − x0)·cos θ + (y − y0)·sin θ,   y' = −(x − x0)·sin θ + (y − y0)·cos θ.
 * x runs along columns (right), y along rows (down), both in pixels from the kernel's centre,
 * so θ turns clockwise on screen (the convention of scikit-image and OpenCV). The carrier's
 * wave vector is (cos θ, sin θ)/λ: the 2-D Fourier magnitude peaks there and at its mirror.
 */
import { HubelError, fmtShape, type InitSpec, type Shape } from '@hubel/core';

/** The parameters of one Gabor function (pixels and radians). */
export interface GaborParams {
  /** θ: direction of the wave vector, from the x axis (columns) toward the y axis (rows, down). */
  readonly theta: number;
  /** λ: wavelength of the carrier, pixels per cycle. */
  readonly wavelength: number;
  /** σ: standard deviation of the envelope along the wave vector, pixels. */
  readonly sigma: number;
  /** γ: spatial aspect ratio; the envelope's deviation along the stripes is σ/γ. */
  readonly gamma: number;
  /** ψ: phase offset of the carrier (0: even, centre-on; π/2: odd). */
  readonly phase: number;
  /** Centre's offset from the kernel centre along x (columns), pixels; default 0. */
  readonly x0?: number;
  /** Centre's offset from the kernel centre along y (rows), pixels; default 0. */
  readonly y0?: number;
  /** A: amplitude; default 1. */
  readonly amplitude?: number;
}

/** The closed-form Gabor function at (x, y), pixels from the kernel centre (x right, y down). */
export function gaborValue(p: GaborParams, x: number, y: number): number {
  const dx = x - (p.x0 ?? 0);
  const dy = y - (p.y0 ?? 0);
  const c = Math.cos(p.theta);
  const s = Math.sin(p.theta);
  const xr = dx * c + dy * s;
  const yr = -dx * s + dy * c;
  const envelope = Math.exp(-(xr * xr + p.gamma * p.gamma * yr * yr) / (2 * p.sigma * p.sigma));
  return (p.amplitude ?? 1) * envelope * Math.cos((2 * Math.PI * xr) / p.wavelength + p.phase);
}

/** `size` as [height, width]: a number is a square. Throws on non-positive or non-integer sizes. */
export function kernelSize(size: number | readonly number[], where = 'Gabor'): [number, number] {
  const hw = typeof size === 'number' ? [size, size] : [...size];
  if (hw.length !== 2 || !hw.every((d) => Number.isInteger(d) && d >= 1)) throw new HubelError('attribute', `${where}: size must be a positive integer or [height, width], found ${JSON.stringify(size)}`);
  return [hw[0], hw[1]];
}

/**
 * Samples the Gabor function on an h×w grid (row-major, h·w values) centred at
 * ((h − 1)/2, (w − 1)/2), so odd sizes have a centre pixel. No normalization.
 */
export function gaborKernel(p: GaborParams, size: number | readonly number[]): Float64Array {
  const [h, w] = kernelSize(size);
  const out = new Float64Array(h * w);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) out[r * w + c] = gaborValue(p, c - cx, r - cy);
  return out;
}

/**
 * σ for a wavelength λ and a half-magnitude frequency bandwidth of `bandwidth` octaves
 * (Petkov's relation): σ/λ = (1/π)·√(ln 2 / 2)·(2^b + 1)/(2^b − 1); b = 1 gives σ ≈ 0.56·λ,
 * the bandwidth of typical V1 simple cells.
 */
export function gaborSigma(wavelength: number, bandwidth = 1): number {
  if (!(bandwidth > 0)) throw new HubelError('attribute', `Gabor: bandwidth must be > 0 octaves, found ${bandwidth}`);
  const b = 2 ** bandwidth;
  return (wavelength / Math.PI) * Math.sqrt(Math.LN2 / 2) * ((b + 1) / (b - 1));
}

/** Shortest default wavelength: at λ = 3 px a 1-octave filter's band ends at 0.47 cycles/px, under Nyquist's 0.5. */
export const MIN_GABOR_WAVELENGTH = 3;

/**
 * The default wavelengths of a bank of `scales` scales for an h×w kernel (`size` its smaller
 * side): geometric from 3 px to max(4, size/2.5) px. The upper end keeps the kernel's half-width
 * at about two envelope σ (for a 1-octave bandwidth), so the largest filters are not cut off
 * much; e.g. size 31 with 4 scales gives 3, 4.8, 7.7 and 12.4 px. One scale takes the
 * geometric mean of the two ends.
 */
export function defaultGaborWavelengths(size: number, scales: number): number[] {
  if (!(Number.isInteger(scales) && scales >= 1)) throw new HubelError('attribute', `Gabor: scales must be a positive integer, found ${scales}`);
  const lo = MIN_GABOR_WAVELENGTH;
  const hi = Math.max(4, size / 2.5);
  if (scales === 1) return [Math.sqrt(lo * hi)];
  return Array.from({ length: scales }, (_, s) => lo * (hi / lo) ** (s / (scales - 1)));
}

/** Options of {@link gaborBank}: which orientations, wavelengths and phases, and the envelope's shape. */
export interface GaborBankOptions {
  /** Kernel size: a square side or [height, width]. */
  readonly size: number | readonly number[];
  /** Number of orientations θ_k = k·π/n, k = 0 … n−1 (half a turn: θ and θ + π give the same magnitude); default 8. */
  readonly orientations?: number;
  /** Number of scales when `wavelengths` is not given (see {@link defaultGaborWavelengths}); default 4. */
  readonly scales?: number;
  /** Wavelengths λ in pixels (≥ 2, Nyquist), one per scale; default from `scales` and the size. */
  readonly wavelengths?: readonly number[];
  /** Envelope σ in pixels per wavelength (same length as `wavelengths`); default from `bandwidth`. */
  readonly sigmas?: readonly number[];
  /** Phases ψ in radians; default [0] (even filters). [0, π/2] gives quadrature pairs. */
  readonly phases?: readonly number[];
  /** Spatial aspect ratio γ (> 0); default 0.5, elongated along the stripes as in Serre et al. 2007 (0.3) and Petkov (0.5). */
  readonly gamma?: number;
  /** Frequency bandwidth in octaves that sets σ = {@link gaborSigma}(λ, b) when `sigmas` is not given; default 1. */
  readonly bandwidth?: number;
  /**
   * Filter order: 'scale' (default) = (scale·phases + phase)·orientations + orientation;
   * 'orientation' = (orientation·scales + scale)·phases + phase, so that the scales and phases
   * of one orientation are consecutive channels (Maxout over them: HMAX's C1).
   */
  readonly order?: 'scale' | 'orientation';
}

/** A normalized Gabor bank: filters and the parameters that made each. */
export interface GaborBank {
  /** Kernel [height, width]. */
  readonly size: readonly [number, number];
  /** Number of filters: orientations × wavelengths × phases. */
  readonly count: number;
  /**
   * `count` filters of h·w values each, row-major, one after the other ([count, h, w]). Filter
   * index = (scale·phases + phase)·orientations + orientation (order 'scale', the default):
   * orientation varies fastest, so a grid with one row per (scale, phase) has one column per
   * orientation; order 'orientation' puts phase fastest, then scale. Each filter has zero mean
   * and unit L2 norm.
   */
  readonly filters: Float64Array;
  /** Parameters of each filter (before normalization: amplitude 1, centred). */
  readonly params: readonly GaborParams[];
  /** The orientations θ, radians. */
  readonly orientations: readonly number[];
  /** The wavelengths λ, pixels. */
  readonly wavelengths: readonly number[];
  /** The phases ψ, radians. */
  readonly phases: readonly number[];
}

/**
 * A Gabor filter bank: every orientation × wavelength × phase, each sampled on the kernel
 * grid, then made zero-mean (a filter's response to a uniform image is 0, whatever it
 * costs the sampled shape: even filters with few lobes change most) and scaled to unit L2
 * norm. Throws HubelError 'attribute' for bad options.
 */
export function gaborBank(o: GaborBankOptions): GaborBank {
  const [h, w] = kernelSize(o.size, 'gaborBank');
  const nO = o.orientations ?? 8;
  if (!(Number.isInteger(nO) && nO >= 1)) throw new HubelError('attribute', `gaborBank: orientations must be a positive integer, found ${nO}`);
  const wavelengths = o.wavelengths ? [...o.wavelengths] : defaultGaborWavelengths(Math.min(h, w), o.scales ?? 4);
  if (!wavelengths.length || !wavelengths.every((l) => Number.isFinite(l) && l >= 2)) throw new HubelError('attribute', `gaborBank: wavelengths must be at least 2 pixels (Nyquist), found [${wavelengths.join(', ')}]`);
  const phases = o.phases ? [...o.phases] : [0];
  if (!phases.length || !phases.every(Number.isFinite)) throw new HubelError('attribute', `gaborBank: phases must be a non-empty list of finite radians, found [${phases.join(', ')}]`);
  const gamma = o.gamma ?? 0.5;
  if (!(gamma > 0 && Number.isFinite(gamma))) throw new HubelError('attribute', `gaborBank: gamma must be > 0, found ${gamma}`);
  if (o.sigmas && (o.sigmas.length !== wavelengths.length || !o.sigmas.every((s) => s > 0 && Number.isFinite(s)))) {
    throw new HubelError('attribute', `gaborBank: sigmas must be ${wavelengths.length} positive numbers (one per wavelength), found [${o.sigmas.join(', ')}]`);
  }
  const orientations = Array.from({ length: nO }, (_, k) => (k * Math.PI) / nO);
  const params: GaborParams[] = [];
  const at = (s: number, phase: number, theta: number): GaborParams => ({ theta, wavelength: wavelengths[s], sigma: o.sigmas ? o.sigmas[s] : gaborSigma(wavelengths[s], o.bandwidth ?? 1), gamma, phase });
  if (o.order === 'orientation') {
    for (const theta of orientations) for (let s = 0; s < wavelengths.length; s++) for (const phase of phases) params.push(at(s, phase, theta));
  } else {
    for (let s = 0; s < wavelengths.length; s++) for (const phase of phases) for (const theta of orientations) params.push(at(s, phase, theta));
  }
  const n = h * w;
  const filters = new Float64Array(params.length * n);
  params.forEach((p, k) => {
    const f = filters.subarray(k * n, (k + 1) * n);
    f.set(gaborKernel(p, [h, w]));
    normalizeFilter(f, `gaborBank: filter ${k} (θ ${p.theta.toFixed(3)}, λ ${p.wavelength.toFixed(2)}, ψ ${p.phase.toFixed(3)})`);
  });
  return { size: [h, w], count: params.length, filters, params, orientations, wavelengths, phases };
}

/** Subtracts the mean, then divides by the L2 norm, in place; throws when nothing is left. */
function normalizeFilter(f: Float64Array, where: string): void {
  let mean = 0;
  for (const v of f) mean += v;
  mean /= f.length;
  let ss = 0;
  for (let i = 0; i < f.length; i++) {
    f[i] -= mean;
    ss += f[i] * f[i];
  }
  // A 1×1 kernel, or an even filter whose one lobe fills the kernel, is constant: zero after
  // the mean is removed, so it has no direction to scale to unit norm.
  if (!(ss > 1e-24)) throw new HubelError('attribute', `${where} is constant on its ${f.length}-pixel kernel, so it is all zeros once its mean is removed; use a larger kernel or a shorter wavelength`);
  const k = 1 / Math.sqrt(ss);
  for (let i = 0; i < f.length; i++) f[i] *= k;
}

/**
 * A parameter initializer filling a convolution weight W [outChannels, channels, h, w] with
 * a {@link gaborBank} of kernel h×w: output channel o gets filter o, the same on each of its
 * input channels, divided by √channels so every output channel's filter has zero mean and
 * unit norm (for RGB input, a luminance filter). Draws no random numbers. The returned function
 * throws HubelError 'shape' unless W is 4-D with outChannels equal to the bank's size.
 */
export function gaborInit(o: Omit<GaborBankOptions, 'size'>): InitSpec {
  return (shape: Shape) => {
    if (shape.length !== 4) throw new HubelError('shape', `gabor initializer: needs a 2-D convolution's weight [outChannels, channels, h, w], found ${fmtShape(shape)}`);
    const [out, ch, h, w] = shape;
    const bank = gaborBank({ ...o, size: [h, w] });
    if (bank.count !== out) {
      throw new HubelError('shape', `gabor initializer: W ${fmtShape(shape)} has ${out} output channels, but the bank has ${bank.count} filters (${bank.orientations.length} orientations × ${bank.wavelengths.length} wavelengths × ${bank.phases.length} phases)`);
    }
    const n = h * w;
    const values = new Float64Array(out * ch * n);
    const k = 1 / Math.sqrt(ch);
    for (let f = 0; f < out; f++) {
      const filter = bank.filters.subarray(f * n, (f + 1) * n);
      for (let c = 0; c < ch; c++) {
        const at = (f * ch + c) * n;
        for (let i = 0; i < n; i++) values[at + i] = filter[i] * k;
      }
    }
    return values;
  };
}
