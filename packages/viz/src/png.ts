import { encode } from 'fast-png';
import type { Image } from './grid.js';

/** Encodes an 8-bit gray or RGB image as PNG bytes (fast-png). */
export function encodePng(image: Image): Uint8Array {
  return encode({ width: image.width, height: image.height, data: image.data, channels: image.channels, depth: 8 });
}
