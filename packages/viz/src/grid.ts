/**
 * Image grids: tiles of small planar images (filters, feature maps), each contrast-normalized
 * on its own, upscaled by pixel replication and laid out row by row with a gap between tiles.
 */
import { HubelError, fmtShape } from '@hubel/core';

/** An 8-bit image, pixels interleaved (gray, or R G B), rows top to bottom. */
export interface Image {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** 1 for gray, 3 for RGB. */
  readonly channels: 1 | 3;
  /** `width × height × channels` bytes. */
  readonly data: Uint8Array;
}

export interface GridOptions {
  /** Tiles per row; default ⌈√count⌉. */
  readonly columns?: number;
  /** Pixel replication factor; default makes each tile about 32 pixels wide. */
  readonly scale?: number;
  /** Gap between tiles in output pixels; default 1 (AlexNet's figure style). */
  readonly gap?: number;
  /** Gap colour, 0–255; default 255 (white). */
  readonly background?: number;
}

/**
 * Lays out `count` tiles of `channels`×h×w values taken from `values` (tile t starts at
 * t·channels·h·w, planar like NCHW). Each tile is mapped linearly from its own [min, max]
 * to [0, 255] (per-tile contrast normalization; a constant tile becomes mid-gray).
 * `channels` is 1 (gray) or 3 (RGB).
 */
export function tileGrid(values: ArrayLike<number>, count: number, channels: 1 | 3, h: number, w: number, o: GridOptions = {}): Image {
  const per = channels * h * w;
  if (!(count > 0) || values.length < count * per) {
    throw new HubelError('shape', `tileGrid: ${count} tiles of ${fmtShape([channels, h, w])} need ${count * per} values, found ${values.length}`);
  }
  const columns = o.columns ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const scale = o.scale ?? Math.max(1, Math.round(32 / w));
  const gap = o.gap ?? 1;
  const tw = w * scale;
  const th = h * scale;
  const width = columns * tw + (columns + 1) * gap;
  const height = rows * th + (rows + 1) * gap;
  const data = new Uint8Array(width * height * channels).fill(o.background ?? 255);
  const tile = new Uint8Array(per);
  for (let t = 0; t < count; t++) {
    normalizeTile(values, t * per, per, tile);
    const x0 = gap + (t % columns) * (tw + gap);
    const y0 = gap + Math.floor(t / columns) * (th + gap);
    for (let y = 0; y < th; y++) {
      const sy = Math.floor(y / scale);
      let at = ((y0 + y) * width + x0) * channels;
      for (let x = 0; x < tw; x++) {
        const s = sy * w + Math.floor(x / scale);
        for (let c = 0; c < channels; c++) data[at++] = tile[c * h * w + s];
      }
    }
  }
  return { width, height, channels, data };
}

/** Maps values[offset … offset+n) linearly from their [min, max] onto 0…255. */
function normalizeTile(values: ArrayLike<number>, offset: number, n: number, out: Uint8Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[offset + i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) {
    out.fill(128);
    return;
  }
  const k = 255 / (hi - lo);
  for (let i = 0; i < n; i++) out[i] = Math.round((values[offset + i] - lo) * k);
}
