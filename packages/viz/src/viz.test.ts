import { Rng } from '@hubel/core';
import { encodePng, errorCurvesSvg, filterGrid, tileGrid } from '@hubel/viz';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';

describe('filterGrid', () => {
  const seed = 41;
  const rng = new Rng(seed);
  const shape = [5, 3, 4, 4];
  const W = Float32Array.from({ length: 5 * 3 * 16 }, () => rng.normal());

  it(`RGB filters: each tile is its filter mapped from [min, max] to [0, 255], upscaled (seed ${seed})`, () => {
    const img = filterGrid(W, shape, { scale: 2, gap: 1, columns: 3 });
    // 3 columns × (4·2 px) + 4 gaps; 2 rows × 8 px + 3 gaps.
    expect([img.width, img.height, img.channels]).toEqual([3 * 8 + 4, 2 * 8 + 3, 3]);
    for (let f = 0; f < 5; f++) {
      const vals = Array.from(W.subarray(f * 48, (f + 1) * 48));
      const lo = Math.min(...vals);
      const hi = Math.max(...vals);
      const x0 = 1 + (f % 3) * 9;
      const y0 = 1 + Math.floor(f / 3) * 9;
      for (let r = 0; r < 4; r++) {
        for (let col = 0; col < 4; col++) {
          for (let c = 0; c < 3; c++) {
            const want = Math.round(((W[f * 48 + c * 16 + r * 4 + col] - lo) / (hi - lo)) * 255);
            // Both replicated pixels of the 2×2 block carry the value.
            for (const [dy, dx] of [[0, 0], [1, 1]]) {
              const got = img.data[((y0 + 2 * r + dy) * img.width + x0 + 2 * col + dx) * 3 + c];
              expect(Math.abs(got - want), `filter ${f} (${r},${col}) channel ${c}`).toBeLessThanOrEqual(1);
            }
          }
        }
      }
    }
    expect(img.data[0]).toBe(255); // gap pixel
  });

  it('gray tiles for one input channel; a constant tile is mid-gray', () => {
    const img = tileGrid([0, 0, 0, 0, 1, 2, 3, 4], 2, 1, 2, 2, { scale: 1, gap: 0, columns: 2 });
    expect(Array.from(img.data)).toEqual([128, 128, 0, 85, 128, 128, 170, 255]);
  });

  it('PNG bytes decode back to the same pixels', () => {
    const img = filterGrid(W, shape);
    const png = decode(encodePng(img));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([img.width, img.height, 3, 8]);
    expect(Array.from(png.data)).toEqual(Array.from(img.data));
  });

  it('rejects weights that are not 4-D', () => {
    expect(() => filterGrid(W, [5, 48])).toThrowError(/expected weights \[F, C, kh, kw\], found \[5, 48\]/);
  });
});

describe('errorCurvesSvg', () => {
  it('draws one polyline per series with one point per epoch, inside the plot box', () => {
    const pts = [0.5, 0.3, 0.2, 0.15].map((e, i) => ({ epoch: i, trainError: e, valError: e + 0.05 }));
    const svg = errorCurvesSvg(pts, { width: 640, height: 400 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const lines = [...svg.matchAll(/<polyline class="(\w+)"[^>]*points="([^"]+)"/g)];
    expect(lines.map((l) => l[1])).toEqual(['trainError', 'valError']);
    for (const [, , p] of lines) {
      const xy = p.split(' ').map((s) => s.split(',').map(Number));
      expect(xy).toHaveLength(4);
      // Plot box: x in [56, 624], y in [36, 356] (margins 56/16/36/44); x increases with epoch.
      for (const [x, y] of xy) {
        expect(x).toBeGreaterThanOrEqual(56);
        expect(x).toBeLessThanOrEqual(624);
        expect(y).toBeGreaterThanOrEqual(36);
        expect(y).toBeLessThanOrEqual(356);
      }
      expect(xy.map(([x]) => x)).toEqual([...xy.map(([x]) => x)].sort((a, b) => a - b));
    }
    // y axis tops at 60% (the smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k ≥ 55%): 50% error sits at 356 − 320·50/60.
    const first = lines[0][2].split(' ')[0].split(',').map(Number);
    expect(first[1]).toBeCloseTo(356 - (320 * 50) / 60, 1);
  });

  it('omits the validation series when it is NaN', () => {
    const svg = errorCurvesSvg([{ epoch: 0, trainError: 0.4, valError: NaN }]);
    expect(svg).toContain('class="trainError"');
    expect(svg).not.toContain('class="valError"');
  });
});
