import { sideBySide, type Image } from '@hubel/viz';
import { describe, expect, it } from 'vitest';

const gray = (width: number, height: number, v: (x: number, y: number) => number): Image => ({ width, height, channels: 1, data: Uint8Array.from({ length: width * height }, (_, i) => v(i % width, Math.floor(i / width))) });

describe('sideBySide', () => {
  it('2×3 and 3×2 pictures with a 1-pixel gap: 6×3, pixels in place, the gap and the space under the shorter one in the background', () => {
    const a = gray(2, 3, (x, y) => 10 * y + x);
    const b = gray(3, 2, (x, y) => 100 + 10 * y + x);
    const out = sideBySide([a, b], { gap: 1, background: 7 });
    expect([out.width, out.height, out.channels]).toEqual([6, 3, 1]);
    expect(Array.from(out.data)).toEqual([
      0, 1, 7, 100, 101, 102,
      10, 11, 7, 110, 111, 112,
      20, 21, 7, 7, 7, 7,
    ]);
  });

  it('refuses mixed gray and RGB pictures, and no pictures', () => {
    const rgb: Image = { width: 1, height: 1, channels: 3, data: new Uint8Array(3) };
    expect(() => sideBySide([gray(1, 1, () => 0), rgb])).toThrow(/must all be gray or all RGB/);
    expect(() => sideBySide([])).toThrow(/no pictures/);
  });
});
