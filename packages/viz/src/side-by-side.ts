/** Lays pictures out in one row, tops aligned, so related pictures share one file. */
import { HubelError } from '@hubel/core';
import type { Image } from './grid.js';

/** Options of {@link sideBySide}. */
export interface SideBySideOptions {
  /** Gap between pictures in pixels; default 8. */
  readonly gap?: number;
  /** Colour of the gap and of the space under shorter pictures, 0–255; default 255 (white). */
  readonly background?: number;
}

/**
 * The pictures left to right with `gap` pixels between them, as one image as tall as the
 * tallest (shorter ones are padded below). All must have the same channel count; throws a
 * HubelError 'shape' otherwise or when there are none.
 */
export function sideBySide(images: readonly Image[], o: SideBySideOptions = {}): Image {
  if (!images.length) throw new HubelError('shape', 'sideBySide: no pictures given');
  const channels = images[0].channels;
  if (images.some((im) => im.channels !== channels)) throw new HubelError('shape', `sideBySide: pictures must all be gray or all RGB, found channels ${images.map((im) => im.channels).join(', ')}`);
  const gap = o.gap ?? 8;
  const width = images.reduce((s, im) => s + im.width, 0) + gap * (images.length - 1);
  const height = Math.max(...images.map((im) => im.height));
  const data = new Uint8Array(width * height * channels).fill(o.background ?? 255);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < im.height; y++) data.set(im.data.subarray(y * im.width * channels, (y + 1) * im.width * channels), (y * width + x0) * channels);
    x0 += im.width + gap;
  }
  return { width, height, channels, data };
}
