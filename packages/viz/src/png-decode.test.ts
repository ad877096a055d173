import { decodePng, encodePng, type Image } from '@hubel/viz';
import { describe, expect, it } from 'vitest';

describe('decodePng', () => {
  it('reads back what encodePng wrote (gray and RGB)', () => {
    for (const channels of [1, 3] as const) {
      const image: Image = { width: 5, height: 3, channels, data: Uint8Array.from({ length: 15 * channels }, (_, i) => (i * 37) % 256) };
      expect(decodePng(encodePng(image))).toEqual(image);
    }
  });

  it('names the source of bytes that are not a PNG', () => {
    expect(() => decodePng(new Uint8Array([1, 2, 3, 4]), 'x.png')).toThrow(/x\.png: not a readable PNG/);
  });
});
