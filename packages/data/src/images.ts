/**
 * PNG and JPEG decoding to float32 planes in [0, 1] (fast-png, jpeg-js), conversion to gray or
 * RGB, and resizing (area average or bilinear). Used by `readImageFolder`; usable on its own.
 */
import { HubelError } from '@hubel/core';
import { decode as decodePngFile, type DecodedPng } from 'fast-png';
import jpeg from 'jpeg-js';

/** Image file formats `decodeImage` reads. */
export type ImageFormat = 'png' | 'jpeg';

/** How `resizeImage` computes a pixel: `area` averages the source area it covers, `bilinear` interpolates the 4 nearest source pixels. */
export type ResizeMethod = 'area' | 'bilinear';

/** A decoded image: `channels` planes of `height`×`width` floats in [0, 1] (CHW, like one example of an NCHW batch). */
export interface DecodedImage {
  /** The file's format, detected from its content. */
  readonly format: ImageFormat;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Planes in `data`: 1 (gray) or 3 (RGB), as asked for, whatever the file held. */
  readonly channels: 1 | 3;
  /** [channels, height, width], row-major, values in [0, 1]. */
  readonly data: Float32Array;
}

/** Options of `decodeImage`. */
export interface DecodeImageOptions {
  /** 1: gray (RGB is converted with BT.601 luma 0.299 R + 0.587 G + 0.114 B); 3: RGB (gray is replicated). Default: 3. */
  readonly channels?: 1 | 3;
  /** Largest image accepted, in megapixels (checked from the header before decoding). Default 40. */
  readonly maxMegapixels?: number;
  /** Memory jpeg-js may use for one JPEG, in MB (its `maxMemoryUsageInMB`). Default 512. */
  readonly maxMemoryMB?: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const DEFAULT_MAX_MP = 40;
const DEFAULT_MAX_MB = 512;

/** The format of an image file from its first bytes (PNG signature or JPEG SOI marker), or undefined for anything else. */
export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * Decodes a PNG (bit depths 1–16; gray, gray + alpha, RGB, RGBA, palette) or JPEG (baseline or
 * progressive, gray, RGB or CMYK) file held in memory to float32 planes in [0, 1]: 8-bit values
 * are divided by 255 (exactly as the IDX reader does), 16-bit by 65535, n-bit by 2ⁿ − 1. Alpha is
 * dropped (the colour values are kept as stored, as PIL's `convert('RGB')` does). Throws a `format`
 * error naming `source` for a file that is neither PNG nor JPEG, a corrupt or truncated file
 * (PNG CRCs are checked), or an image over `maxMegapixels`.
 */
export function decodeImage(bytes: Uint8Array, source: string, options: DecodeImageOptions = {}): DecodedImage {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new HubelError('attribute', `decodeImage: channels must be 1 or 3, found ${channels}`);
  const maxPixels = (options.maxMegapixels ?? DEFAULT_MAX_MP) * 1e6;
  const format = imageFormat(bytes);
  if (format === 'png') return decodePng(bytes, source, channels, maxPixels);
  if (format === 'jpeg') return decodeJpeg(bytes, source, channels, maxPixels, options.maxMemoryMB ?? DEFAULT_MAX_MB);
  const head = Array.from(bytes.subarray(0, 4), hex).join(' ');
  throw new HubelError('format', `${source}: not a PNG or JPEG file (it starts with bytes ${head || '(the file is empty)'}${guessFormat(bytes)})`);
}

function decodePng(bytes: Uint8Array, source: string, channels: 1 | 3, maxPixels: number): DecodedImage {
  // IHDR is the first chunk: 8-byte signature, length, "IHDR", width, height, depth, colour type, …, interlace.
  if (bytes.length < 33) throw new HubelError('format', `${source}: corrupt PNG: ${bytes.length} bytes is too short to hold the IHDR header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const width = view.getUint32(16, false);
  const height = view.getUint32(20, false);
  const depth = bytes[24];
  const interlaced = bytes[28] === 1;
  checkSize(width, height, maxPixels, source, 'PNG');
  if (interlaced && depth < 8) {
    throw new HubelError('format', `${source}: interlaced (Adam7) PNGs with ${depth}-bit pixels are not supported; save it without interlacing or with 8-bit pixels`);
  }
  let png: DecodedPng;
  try {
    png = decodePngFile(bytes, { checkCrc: true });
  } catch (e) {
    throw new HubelError('format', `${source}: corrupt PNG (${(e as Error).message})`, { cause: e });
  }
  if (png.width !== width || png.height !== height) throw new HubelError('format', `${source}: corrupt PNG (header says ${width}×${height}, decoder found ${png.width}×${png.height})`);
  const plane = width * height;
  const out = new Float32Array(channels * plane);
  const sample = samples(png, source);
  if (png.palette) {
    const palette = png.palette;
    const rgb = new Float32Array(palette.length * 3);
    palette.forEach((c, i) => {
      for (let k = 0; k < 3; k++) rgb[i * 3 + k] = (c[k] ?? 0) * (1 / 255);
    });
    for (let p = 0; p < plane; p++) {
      const i = sample[p];
      if (i >= palette.length) throw new HubelError('format', `${source}: corrupt PNG: pixel ${p} uses palette entry ${i}, but the palette has ${palette.length}`);
      put(out, p, plane, channels, rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]);
    }
  } else {
    const scale = 1 / ((1 << png.depth) - 1);
    const src = png.channels; // 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA
    if (src !== 1 && src !== 2 && src !== 3 && src !== 4) throw new HubelError('format', `${source}: PNG with ${src} channels`);
    const color = src >= 3;
    for (let p = 0; p < plane; p++) {
      if (color) put(out, p, plane, channels, sample[p * src] * scale, sample[p * src + 1] * scale, sample[p * src + 2] * scale);
      else put(out, p, plane, channels, sample[p * src] * scale);
    }
  }
  return { format: 'png', width, height, channels, data: out };
}

/** The samples of a PNG in pixel order, one array element each: 1-, 2- and 4-bit rows (each starting on a byte) unpacked. */
function samples(png: DecodedPng, source: string): ArrayLike<number> {
  const data = png.data;
  const perRow = png.width * png.channels;
  if (png.depth >= 8) {
    if (data.length < perRow * png.height) throw new HubelError('format', `${source}: corrupt PNG: ${data.length} samples decoded, ${perRow * png.height} expected`);
    return data;
  }
  const depth = png.depth;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  if (data.length < rowBytes * png.height) throw new HubelError('format', `${source}: corrupt PNG: ${data.length} bytes decoded, ${rowBytes * png.height} expected`);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(perRow * png.height);
  for (let row = 0; row < png.height; row++) {
    for (let k = 0; k < perRow; k++) {
      const bit = k * depth;
      out[row * perRow + k] = (data[row * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function decodeJpeg(bytes: Uint8Array, source: string, channels: 1 | 3, maxPixels: number, maxMemoryMB: number): DecodedImage {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: maxMemoryMB });
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/maxResolutionInMP|maxMemoryUsageInMB/.test(msg)) {
      throw new HubelError('format', `${source}: JPEG too large to decode (${msg}; limits: ${maxPixels / 1e6} megapixels, ${maxMemoryMB} MB)`, { cause: e });
    }
    throw new HubelError('format', `${source}: corrupt JPEG (${msg})`, { cause: e });
  }
  const { width, height, data } = img;
  checkSize(width, height, maxPixels, source, 'JPEG');
  const plane = width * height;
  if (data.length !== plane * 3) throw new HubelError('format', `${source}: corrupt JPEG: ${data.length} bytes decoded for ${width}×${height} RGB`);
  const out = new Float32Array(channels * plane);
  const s = 1 / 255;
  for (let p = 0; p < plane; p++) put(out, p, plane, channels, data[p * 3] * s, data[p * 3 + 1] * s, data[p * 3 + 2] * s);
  return { format: 'jpeg', width, height, channels, data: out };
}

/** Writes pixel p: gray `r` alone, or RGB (r, g, b), converted to `channels`. */
function put(out: Float32Array, p: number, plane: number, channels: 1 | 3, r: number, g?: number, b?: number): void {
  if (g === undefined || b === undefined) {
    out[p] = r;
    if (channels === 3) out[plane + p] = out[2 * plane + p] = r;
  } else if (channels === 1) {
    out[p] = 0.299 * r + 0.587 * g + 0.114 * b;
  } else {
    out[p] = r;
    out[plane + p] = g;
    out[2 * plane + p] = b;
  }
}

function checkSize(width: number, height: number, maxPixels: number, source: string, kind: string): void {
  if (width === 0 || height === 0) throw new HubelError('format', `${source}: corrupt ${kind}: ${width}×${height} pixels`);
  if (width * height > maxPixels) {
    throw new HubelError('format', `${source}: ${kind} of ${width}×${height} pixels (${((width * height) / 1e6).toFixed(1)} megapixels) is over the limit of ${maxPixels / 1e6} megapixels`);
  }
}

/**
 * Resizes CHW planes from `height`×`width` to `toHeight`×`toWidth` (aspect ratio not kept: the
 * image is stretched). `area`: each output pixel is the average of the source rectangle it
 * covers, partial pixels weighted by their covered fraction (anti-aliased, best for shrinking;
 * OpenCV's INTER_AREA). `bilinear`: interpolation between the four nearest source pixels with
 * pixel centres aligned (`align_corners = false`, edges clamped; best for enlarging). Same size:
 * a copy. Values stay in the range of the input.
 */
export function resizeImage(data: Float32Array, channels: number, height: number, width: number, toHeight: number, toWidth: number, method: ResizeMethod = 'area'): Float32Array {
  if (data.length !== channels * height * width) throw new HubelError('shape', `resizeImage: ${data.length} values are not ${channels}×${height}×${width}`);
  if (!(Number.isInteger(toHeight) && toHeight >= 1 && Number.isInteger(toWidth) && toWidth >= 1)) throw new HubelError('attribute', `resizeImage: target size must be positive integers, found ${toHeight}×${toWidth}`);
  if (method !== 'area' && method !== 'bilinear') throw new HubelError('attribute', `resizeImage: method must be 'area' or 'bilinear', found '${method}'`);
  if (toHeight === height && toWidth === width) return data.slice();
  const taps = method === 'area' ? areaTaps : bilinearTaps;
  const tx = taps(width, toWidth);
  const ty = taps(height, toHeight);
  // Rows first (width), then columns (height); separable filters.
  const mid = new Float32Array(channels * height * toWidth);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      const src = (c * height + y) * width;
      const dst = (c * height + y) * toWidth;
      for (let x = 0; x < toWidth; x++) {
        const { index, weight } = tx[x];
        let s = 0;
        for (let k = 0; k < index.length; k++) s += weight[k] * data[src + index[k]];
        mid[dst + x] = s;
      }
    }
  }
  const out = new Float32Array(channels * toHeight * toWidth);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < toHeight; y++) {
      const { index, weight } = ty[y];
      const dst = (c * toHeight + y) * toWidth;
      for (let k = 0; k < index.length; k++) {
        const src = (c * height + index[k]) * toWidth;
        const w = weight[k];
        for (let x = 0; x < toWidth; x++) out[dst + x] += w * mid[src + x];
      }
    }
  }
  return out;
}

interface Taps {
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

/** Output pixel o covers source interval [o·s, (o+1)·s), s = n / m; weights are the covered lengths / s. */
function areaTaps(n: number, m: number): Taps[] {
  const s = n / m;
  return Array.from({ length: m }, (_, o) => {
    const lo = o * s;
    const hi = Math.min(n, (o + 1) * s);
    const index: number[] = [];
    const weight: number[] = [];
    for (let i = Math.floor(lo); i < hi; i++) {
      const cover = Math.min(hi, i + 1) - Math.max(lo, i);
      if (cover > 1e-12) {
        index.push(i);
        weight.push(cover / s);
      }
    }
    const total = weight.reduce((a, b) => a + b, 0);
    return { index: Int32Array.from(index), weight: Float64Array.from(weight, (w) => w / total) };
  });
}

/** Source position (o + 0.5)·n/m − 0.5, clamped to [0, n − 1], between its two neighbours. */
function bilinearTaps(n: number, m: number): Taps[] {
  const s = n / m;
  return Array.from({ length: m }, (_, o) => {
    const x = Math.min(n - 1, Math.max(0, (o + 0.5) * s - 0.5));
    const i0 = Math.floor(x);
    const i1 = Math.min(n - 1, i0 + 1);
    const f = x - i0;
    return i1 === i0 || f === 0 ? { index: Int32Array.of(i0), weight: Float64Array.of(1) } : { index: Int32Array.of(i0, i1), weight: Float64Array.of(1 - f, f) };
  });
}

function guessFormat(bytes: Uint8Array): string {
  const ascii = String.fromCharCode(...bytes.subarray(0, 12));
  if (ascii.startsWith('GIF8')) return ': a GIF; convert it to PNG';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return ': a WebP; convert it to PNG or JPEG';
  if (ascii.startsWith('BM')) return ': a BMP; convert it to PNG';
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) return ': a TIFF; convert it to PNG';
  return '';
}

const hex = (b: number) => b.toString(16).padStart(2, '0');
