import { HubelError } from '@hubel/core';
import { decodeImage, imageFormat, resizeImage } from '@hubel/data';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));
const png = (width: number, height: number, channels: number, data: Uint8Array | Uint16Array, depth: 1 | 2 | 4 | 8 | 16 = 8, palette?: number[][]) =>
  encodePng({ width, height, channels, depth, data, ...(palette ? { palette } : {}) });
/** A JPEG of a constant colour (jpeg-js encodes RGBA input). */
function flatJpeg(width: number, height: number, rgb: [number, number, number], quality = 100): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], p * 4);
  return new Uint8Array(jpeg.encode({ width, height, data }, quality).data);
}

function expectError(f: () => unknown, code: string, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HubelError);
    expect((e as HubelError).code).toBe(code);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected an error matching ${pattern}`);
}

describe('decodeImage: PNG', () => {
  it('8-bit gray: every value is v/255, exactly as the IDX reader scales bytes', () => {
    const bytes = Uint8Array.from({ length: 12 }, (_, i) => i * 23);
    const img = decodeImage(png(4, 3, 1, bytes), 'g.png', { channels: 1 });
    expect([img.format, img.width, img.height, img.channels]).toEqual(['png', 4, 3, 1]);
    expect(Array.from(img.data)).toEqual(Array.from(bytes, (v) => Math.fround(v * (1 / 255))));
  });

  it('16-bit gray is divided by 65535; 1-bit gray by 1 (rows start on a byte)', () => {
    const wide = decodeImage(png(3, 1, 1, Uint16Array.of(0, 32768, 65535), 16), 'w.png', { channels: 1 });
    expect(Array.from(wide.data)).toEqual(f32([0, 32768 / 65535, 1]));
    // 3×2 at 1 bit: row 0 = 101, row 1 = 010 (each row padded to a byte).
    const bits = decodeImage(png(3, 2, 1, Uint8Array.of(0b1010_0000, 0b0100_0000), 1), 'b.png', { channels: 1 });
    expect(Array.from(bits.data)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('gray + alpha and RGBA: alpha is dropped; gray → RGB replicates, RGB → gray is BT.601 luma', () => {
    const ga = decodeImage(png(2, 1, 2, Uint8Array.of(255, 0, 51, 255)), 'ga.png', { channels: 3 });
    expect(Array.from(ga.data)).toEqual(f32([1, 51 / 255, 1, 51 / 255, 1, 51 / 255]));
    const rgba = Uint8Array.of(255, 0, 0, 10, 0, 255, 0, 255, 10, 20, 30, 0);
    const rgb = decodeImage(png(3, 1, 4, rgba), 'rgba.png');
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data)).toEqual(f32([1, 0, 10 / 255, 0, 1, 20 / 255, 0, 0, 30 / 255]));
    const gray = decodeImage(png(3, 1, 4, rgba), 'rgba.png', { channels: 1 });
    const luma = (r: number, g: number, b: number) => (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    expect(Array.from(gray.data)).toEqual(f32([luma(255, 0, 0), luma(0, 255, 0), luma(10, 20, 30)]));
  });

  it('RGB: planes in CHW order', () => {
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12); // 2×2 pixels
    const img = decodeImage(png(2, 2, 3, data), 'rgb.png');
    expect(Array.from(img.data)).toEqual(f32([1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12].map((v) => v / 255)));
  });

  it('palette images, 8-bit and 4-bit indices', () => {
    const palette = [
      [255, 0, 0],
      [0, 0, 255],
      [0, 255, 0],
    ];
    const p8 = decodeImage(png(3, 1, 1, Uint8Array.of(0, 1, 2), 8, palette), 'p8.png');
    expect(Array.from(p8.data)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    const p4 = decodeImage(png(3, 1, 1, Uint8Array.of(0x21, 0x00), 4, palette), 'p4.png', { channels: 1 });
    expect(Array.from(p4.data)).toEqual(f32([0.587, 0.114, 0.299]));
  });

  it('a flipped byte (CRC mismatch), a truncated file and a header over the size limit are errors naming the file', () => {
    const good = png(4, 4, 1, new Uint8Array(16).fill(7));
    const bad = good.slice();
    bad[bad.length - 20] ^= 0xff;
    expectError(() => decodeImage(bad, 'flip.png'), 'format', /^flip\.png: corrupt PNG \(CRC mismatch/);
    expectError(() => decodeImage(good.subarray(0, good.length - 15), 'cut.png'), 'format', /^cut\.png: corrupt PNG/);
    expectError(() => decodeImage(good.subarray(0, 20), 'short.png'), 'format', /^short\.png: corrupt PNG: 20 bytes is too short/);
    // A header claiming 100000×100000 pixels: refused before anything is decoded or allocated.
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(16, 100000);
    new DataView(huge.buffer).setUint32(20, 100000);
    expectError(() => decodeImage(huge, 'huge.png'), 'format', /^huge\.png: PNG of 100000×100000 pixels \(10000\.0 megapixels\) is over the limit of 40 megapixels/);
  });
});

describe('decodeImage: JPEG and other files', () => {
  it('decodes a JPEG to RGB, or to its luma for one channel (within JPEG rounding)', () => {
    const bytes = flatJpeg(8, 8, [200, 100, 50]);
    expect(imageFormat(bytes)).toBe('jpeg');
    const img = decodeImage(bytes, 'c.jpg');
    expect([img.format, img.width, img.height, img.channels]).toEqual(['jpeg', 8, 8, 3]);
    for (const [c, v] of [200, 100, 50].entries()) for (let p = 0; p < 64; p++) expect(Math.abs(img.data[c * 64 + p] * 255 - v)).toBeLessThanOrEqual(3);
    const gray = decodeImage(bytes, 'c.jpg', { channels: 1 });
    for (const v of gray.data) expect(Math.abs(v * 255 - (0.299 * 200 + 0.587 * 100 + 0.114 * 50))).toBeLessThanOrEqual(3);
  });

  it('a truncated or garbled JPEG, one over the megapixel limit, and a non-image are errors naming the file', () => {
    const bytes = flatJpeg(16, 16, [10, 20, 30]);
    expectError(() => decodeImage(bytes.subarray(0, 40), 'cut.jpg'), 'format', /^cut\.jpg: corrupt JPEG \(/);
    const garbled = Uint8Array.from({ length: 200 }, (_, i) => (i < 3 ? [0xff, 0xd8, 0xff][i] : (i * 37) & 0xff));
    expectError(() => decodeImage(garbled, 'junk.jpg'), 'format', /^junk\.jpg: corrupt JPEG/);
    expectError(() => decodeImage(bytes, 'big.jpg', { maxMegapixels: 0.0001 }), 'format', /^big\.jpg: JPEG too large to decode \(maxResolutionInMP limit exceeded/);
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    expect(imageFormat(gif)).toBeUndefined();
    expectError(() => decodeImage(gif, 'a.png'), 'format', /^a\.png: not a PNG or JPEG file \(it starts with bytes 47 49 46 38: a GIF; convert it to PNG\)/);
    expectError(() => decodeImage(new Uint8Array(0), 'empty.png'), 'format', /empty\.png: not a PNG or JPEG file \(it starts with bytes \(the file is empty\)\)/);
  });
});

describe('resizeImage', () => {
  it('area: each output pixel is the mean of the block it covers (4×4 → 2×2, and 3 → 2 with partial pixels)', () => {
    const x = Float32Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(resizeImage(x, 1, 4, 4, 2, 2, 'area'))).toEqual([(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]);
    // One row of 3 to 2: output 0 covers [0, 1.5) = pixel 0 and half of pixel 1.
    const row = resizeImage(Float32Array.of(0, 3, 6), 1, 1, 3, 1, 2, 'area');
    expect(row[0]).toBeCloseTo((0 + 1.5) / 1.5, 6);
    expect(row[1]).toBeCloseTo((1.5 + 6) / 1.5, 6);
  });

  it('bilinear: centre-aligned interpolation with clamped edges (1×2 → 1×4); channels are resized independently', () => {
    const x = Float32Array.of(0, 1, 10, 20); // 2 channels of 1×2
    const y = resizeImage(x, 2, 1, 2, 1, 4, 'bilinear');
    expect(Array.from(y)).toEqual(f32([0, 0.25, 0.75, 1, 10, 12.5, 17.5, 20]));
  });

  it('same size is a copy; constant images stay constant; bad sizes are errors', () => {
    const x = Float32Array.of(1, 2, 3, 4);
    const same = resizeImage(x, 1, 2, 2, 2, 2);
    expect(Array.from(same)).toEqual([1, 2, 3, 4]);
    expect(same).not.toBe(x);
    for (const method of ['area', 'bilinear'] as const) {
      const up = resizeImage(new Float32Array(3 * 5 * 7).fill(0.25), 3, 5, 7, 13, 11, method);
      expect(up.length).toBe(3 * 13 * 11);
      for (const v of up) expect(v).toBeCloseTo(0.25, 6);
    }
    expectError(() => resizeImage(x, 1, 3, 3, 2, 2), 'shape', /4 values are not 1×3×3/);
    expectError(() => resizeImage(x, 1, 2, 2, 0, 2), 'attribute', /positive integers, found 0×2/);
  });
});
