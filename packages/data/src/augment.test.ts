import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, Rng } from '@hubel/core';
import { AugmentedDataset, channelStats, horizontalFlip, normalizeChannels, randomCrop } from '@hubel/data';
import { describe, expect, it } from 'vitest';

function images(shape: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.range(0.1, 1));
}

describe('augmentation', () => {
  const seed = 17;
  const shape = [6, 2, 5, 7];
  const [n, c, h, w] = shape;
  const x = images(shape, seed);
  const at = (a: Float32Array, i: number, ch: number, r: number, col: number) => a[((i * c + ch) * h + r) * w + col];

  it(`randomCrop(pad 2): same shape, each image a shift of the original by some (dy, dx) in [-2, 2]² with zero fill (seed ${seed})`, () => {
    const out = randomCrop(x, shape, 2, new Rng(seed)) as Float32Array;
    expect(out.length).toBe(x.length);
    const shifts = new Set<string>();
    for (let i = 0; i < n; i++) {
      const matches: string[] = [];
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          let ok = true;
          for (let ch = 0; ch < c && ok; ch++) {
            for (let r = 0; r < h && ok; r++) {
              for (let col = 0; col < w && ok; col++) {
                const sr = r + dy;
                const sc = col + dx;
                const want = sr >= 0 && sr < h && sc >= 0 && sc < w ? at(x, i, ch, sr, sc) : 0;
                ok = at(out, i, ch, r, col) === want;
              }
            }
          }
          if (ok) matches.push(`${dy},${dx}`);
        }
      }
      expect(matches, `image ${i}, seed ${seed}`).toHaveLength(1);
      shifts.add(matches[0]);
    }
    expect(shifts.size, 'six images should not all draw the same shift').toBeGreaterThan(1);
    expect(Array.from(randomCrop(x, shape, 0, new Rng(seed)))).toEqual(Array.from(x));
  });

  it('horizontalFlip mirrors columns (p = 1), is the identity for p = 0', () => {
    const out = horizontalFlip(x, shape, new Rng(seed), 1) as Float32Array;
    for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let r = 0; r < h; r++) for (let col = 0; col < w; col++) expect(at(out, i, ch, r, col)).toBe(at(x, i, ch, r, w - 1 - col));
    expect(Array.from(horizontalFlip(x, shape, new Rng(seed), 0))).toEqual(Array.from(x));
  });

  it('AugmentedDataset: batch shapes, labels unchanged, same seed → same batch', async () => {
    const backend = createCpuBackend();
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const base = new ArrayDataset(x, [c, h, w], y, [], 3);
    const draw = async (s: number) => {
      const b = new AugmentedDataset(base, { cropPad: 1, flip: true, seed: s }).batch([4, 1, 2], backend);
      const r = { shape: b.x.shape, x: Array.from(await b.x.read()), y: Array.from(await b.y.read()) };
      b.x.dispose();
      b.y.dispose();
      return r;
    };
    const a = await draw(3);
    expect(a.shape).toEqual([3, c, h, w]);
    expect(a.y).toEqual([1, 1, 2]);
    expect((await draw(3)).x).toEqual(a.x);
    expect((await draw(4)).x).not.toEqual(a.x);
  });
});

describe('per-channel normalization', () => {
  const seed = 29;
  const shape = [4, 3, 6, 5];
  const x = images(shape, seed);

  it(`channelStats equals a direct mean/std over each channel; normalized channels have mean 0, std 1 (seed ${seed})`, () => {
    const stats = channelStats(x, shape);
    const [n, c, h, w] = shape;
    for (let ch = 0; ch < c; ch++) {
      const vals: number[] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < h * w; j++) vals.push(x[(i * c + ch) * h * w + j]);
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      const s = Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
      // Same float64 sums in a different order: agreement to ~1e-15 relative; 1e-12 is generous.
      expect(Math.abs(stats.mean[ch] - m)).toBeLessThan(1e-12);
      expect(Math.abs(stats.std[ch] - s)).toBeLessThan(1e-12);
    }
    const z = channelStats(normalizeChannels(x, shape, stats), shape);
    // Outputs are float32: each value carries ≤ 6e-8 relative rounding, so the mean of 120
    // values of magnitude ≤ ~2 is within ~1e-7 of 0 and the std within ~1e-7 of 1; 1e-5 leaves margin.
    for (let ch = 0; ch < 3; ch++) {
      expect(Math.abs(z.mean[ch])).toBeLessThan(1e-5);
      expect(Math.abs(z.std[ch] - 1)).toBeLessThan(1e-5);
    }
  });
});
