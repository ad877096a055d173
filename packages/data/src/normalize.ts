/**
 * Per-channel normalization x' = (x − μ_c) / σ_c over host arrays [N, C, H, W], with μ_c and
 * σ_c computed over every pixel of channel c in a training set (population statistics).
 */
import { HubelError, fmtShape, type Shape } from '@hubel/core';
import type { HostImages } from './augment.js';

/** Per-channel statistics for normalization, computed on a training set. */
export interface ChannelStats {
  /** Mean per channel. */
  readonly mean: readonly number[];
  /** Population standard deviation per channel. */
  readonly std: readonly number[];
}

/**
 * Mean and standard deviation of each channel over all images and pixels. Sums run in
 * float64 and in two passes (mean, then squared deviations) to avoid cancellation.
 */
export function channelStats(x: HostImages, shape: Shape): ChannelStats {
  if (shape.length !== 4) throw new HubelError('shape', `channelStats: expected [N, C, H, W], found ${fmtShape(shape)}`);
  const [n, c, h, w] = shape;
  const plane = h * w;
  const count = n * plane;
  if (count === 0) throw new HubelError('shape', `channelStats: no pixels in ${fmtShape(shape)}`);
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * plane;
      for (let j = 0; j < plane; j++) s += x[base + j];
    }
    const m = s / count;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * plane;
      for (let j = 0; j < plane; j++) {
        const d = x[base + j] - m;
        v += d * d;
      }
    }
    mean.push(m);
    std.push(Math.sqrt(v / count));
  }
  return { mean, std };
}

/**
 * Returns (x − mean_c) / std_c as a fresh array of x's type. A channel whose std is 0
 * (constant) is only centred, so no value becomes NaN or ±Inf.
 */
export function normalizeChannels(x: HostImages, shape: Shape, stats: ChannelStats): HostImages {
  if (shape.length !== 4) throw new HubelError('shape', `normalizeChannels: expected [N, C, H, W], found ${fmtShape(shape)}`);
  const [n, c, h, w] = shape;
  if (stats.mean.length !== c || stats.std.length !== c) {
    throw new HubelError('shape', `normalizeChannels: ${c} channels but statistics for ${stats.mean.length} means and ${stats.std.length} deviations`);
  }
  const out = new (x.constructor as Float32ArrayConstructor)(x.length);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const m = stats.mean[ch];
      const inv = stats.std[ch] > 0 ? 1 / stats.std[ch] : 1;
      const base = (i * c + ch) * plane;
      for (let j = base; j < base + plane; j++) out[j] = (x[j] - m) * inv;
    }
  }
  return out;
}
