import { HubelError } from '@hubel/core';
import { decode } from 'fast-png';
import type { Image } from './grid.js';

/**
 * Decodes PNG bytes written by {@link encodePng} (or any 8-bit gray or RGB PNG without alpha)
 * into an {@link Image}, to read a picture back. Throws a `format` HubelError naming `source`
 * for bytes that are not a PNG, and for other bit depths, palettes or alpha channels.
 */
export function decodePng(bytes: Uint8Array, source = 'PNG'): Image {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new HubelError('format', `${source}: not a readable PNG (${(e as Error).message})`, { cause: e });
  }
  if (png.depth !== 8 || png.palette || (png.channels !== 1 && png.channels !== 3)) {
    throw new HubelError('format', `${source}: expected an 8-bit gray or RGB PNG, found ${png.depth}-bit with ${png.channels} channel(s)${png.palette ? ' and a palette' : ''}`);
  }
  return { width: png.width, height: png.height, channels: png.channels as 1 | 3, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}
