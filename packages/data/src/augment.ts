/**
 * Batch augmentation on host arrays [N, C, H, W]: random crops of a zero-padded image
 * (Krizhevsky et al. 2012 crop 224 of 256; for small images, pad p then crop back to H×W)
 * and horizontal flips. Both copy whole rows or walk them once; no per-pixel closures.
 */
import { HubelError, fmtShape, type Rng, type Shape } from '@hubel/core';

/** Images on the host, row-major [N, C, H, W]. */
export type HostImages = Float32Array | Float64Array;

function dims(shape: Shape, where: string): [number, number, number, number] {
  if (shape.length !== 4) throw new HubelError('shape', `${where}: expected a batch of images [N, C, H, W], found ${fmtShape(shape)}`);
  return shape as unknown as [number, number, number, number];
}

/**
 * Pads every image with `pad` zeros on each side and crops an H×W window at a random
 * offset (each image draws its own offsets (dy, dx) in [0, 2·pad]² from `rng`).
 * Returns a fresh array of the same shape; `x` is not modified.
 */
export function randomCrop(x: HostImages, shape: Shape, pad: number, rng: Rng): HostImages {
  const [n, c, h, w] = dims(shape, 'randomCrop');
  if (!(Number.isInteger(pad) && pad >= 0)) throw new HubelError('attribute', `randomCrop: pad must be a non-negative integer, found ${pad}`);
  const out = new (x.constructor as Float32ArrayConstructor)(x.length);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    // Offset of the crop window inside the padded image, relative to the original image.
    const oy = rng.int(2 * pad + 1) - pad;
    const ox = rng.int(2 * pad + 1) - pad;
    const x0 = Math.max(0, -ox);
    const x1 = Math.min(w, w - ox);
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * plane;
      for (let r = 0; r < h; r++) {
        const sr = r + oy;
        if (sr < 0 || sr >= h || x1 <= x0) continue;
        const dst = base + r * w;
        const src = base + sr * w;
        out.set(x.subarray(src + x0 + ox, src + x1 + ox), dst + x0);
      }
    }
  }
  return out;
}

/**
 * Mirrors each image left–right with probability `p` (default 0.5), one draw per image
 * from `rng`. Returns a fresh array of the same shape.
 */
export function horizontalFlip(x: HostImages, shape: Shape, rng: Rng, p = 0.5): HostImages {
  const [n, c, h, w] = dims(shape, 'horizontalFlip');
  if (!(p >= 0 && p <= 1)) throw new HubelError('attribute', `horizontalFlip: probability must be in [0, 1], found ${p}`);
  const out = new (x.constructor as Float32ArrayConstructor)(x);
  const per = c * h * w;
  for (let i = 0; i < n; i++) {
    if (!(rng.uniform() < p)) continue;
    for (let row = i * per; row < (i + 1) * per; row += w) {
      for (let j = 0; j < w; j++) out[row + j] = x[row + w - 1 - j];
    }
  }
  return out;
}
