/**
 * A grid of small images with a caption under each, as an SVG document: each tile is its own
 * PNG (contrast-normalized by {@link tileGrid}, upscaled by pixel replication) embedded as a
 * data URI, with one or two lines of text below it. Used for fooling images ("Bag 99.9%").
 */
import { HubelError } from '@hubel/core';
import { tileGrid } from './grid.js';
import { encodePng } from './png.js';

/** Options of {@link labelledGridSvg}. */
export interface LabelledGridOptions {
  /** Tiles per row; default min(count, 10). */
  readonly columns?: number;
  /** Pixel replication factor; default makes each tile about 64 pixels wide. */
  readonly scale?: number;
  /** Map each tile from [0, 1] to [0, 255] as it is, instead of stretching its own [min, max]; default true. */
  readonly absolute?: boolean;
  /** Title above the grid; default none. */
  readonly title?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * An SVG document (a string) showing `count` images of `channels`×h×w values from `values`
 * (planar, image t at t·channels·h·w), each captioned by `labels[t]` (lines split at '\n').
 * `channels` is 1 (gray) or 3 (RGB). Throws a HubelError when there are too few values or labels.
 */
export function labelledGridSvg(values: ArrayLike<number>, count: number, channels: 1 | 3, h: number, w: number, labels: readonly string[], o: LabelledGridOptions = {}): string {
  if (labels.length < count) throw new HubelError('shape', `labelledGridSvg: ${count} tiles need ${count} labels, found ${labels.length}`);
  const per = channels * h * w;
  if (values.length < count * per) throw new HubelError('shape', `labelledGridSvg: ${count} tiles of ${channels}×${h}×${w} need ${count * per} values, found ${values.length}`);
  const columns = o.columns ?? Math.min(count, 10);
  const scale = o.scale ?? Math.max(1, Math.round(64 / w));
  const tw = w * scale;
  const th = h * scale;
  const lines = Math.max(1, ...labels.slice(0, count).map((l) => l.split('\n').length));
  const cellW = Math.max(tw, 96) + 8;
  const cellH = th + 6 + 14 * lines + 8;
  const top = o.title ? 28 : 4;
  const rows = Math.ceil(count / columns);
  const width = columns * cellW + 8;
  const height = top + rows * cellH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (o.title) out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${esc(o.title)}</text>`);
  for (let t = 0; t < count; t++) {
    const tile = Array.from({ length: per }, (_, i) => values[t * per + i]);
    // tileGrid stretches each tile's [min, max]; two corner pixels pinned at 0 and 1 (outside the
    // visible tile: the grid's gap is 0 and the pins sit in an extra row) keep the absolute scale.
    const image = o.absolute === false ? tileGrid(tile, 1, channels, h, w, { scale, gap: 0 }) : tileGrid(pinned(tile, channels, h, w), 1, channels, h + 1, w, { scale, gap: 0 });
    const png = Buffer.from(encodePng(image.height === th ? image : crop(image, th))).toString('base64');
    const x = 4 + (t % columns) * cellW + (cellW - tw) / 2;
    const y = top + Math.floor(t / columns) * cellH;
    out.push(`<image x="${x}" y="${y}" width="${tw}" height="${th}" style="image-rendering:pixelated" href="data:image/png;base64,${png}"/>`);
    labels[t].split('\n').forEach((line, l) => out.push(`<text x="${x + tw / 2}" y="${y + th + 16 + 14 * l}" text-anchor="middle">${esc(line)}</text>`));
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The tile with one extra row at the bottom whose first pixel is 0 and second 1, per channel. */
function pinned(tile: number[], channels: number, h: number, w: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < channels; c++) {
    out.push(...tile.slice(c * h * w, (c + 1) * h * w).map((v) => Math.min(1, Math.max(0, v))));
    out.push(0, 1, ...new Array<number>(w - 2).fill(0));
  }
  return out;
}

/** The top `rows` pixel rows of an image. */
function crop(image: ReturnType<typeof tileGrid>, rows: number): ReturnType<typeof tileGrid> {
  return { ...image, height: rows, data: image.data.slice(0, image.width * rows * image.channels) };
}
