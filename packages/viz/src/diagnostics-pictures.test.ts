import { activationHistogramsSvg, correlationColor, correlationHeatMap, encodePng } from '@hubel/viz';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';

describe('correlationHeatMap', () => {
  const r = [1, 0.5, -1, 0.5, 1, NaN, -1, NaN, 1];

  it('colours each entry by sign and size (white at 0, red at +1, blue at −1, gray undefined), cell×cell pixels each', () => {
    const img = correlationHeatMap(r, 3, { cell: 2 });
    expect([img.width, img.height, img.channels]).toEqual([6, 6, 3]);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        for (const [dy, dx] of [[0, 0], [1, 1], [0, 1]]) expect(px(2 * j + dx, 2 * i + dy), `entry (${i}, ${j})`).toEqual(correlationColor(r[i * 3 + j]));
      }
    }
    expect(correlationColor(1)).toEqual([255, 0, 0]);
    expect(correlationColor(-1)).toEqual([0, 0, 255]);
    expect(correlationColor(0)).toEqual([255, 255, 255]);
    expect(correlationColor(0.5)).toEqual([255, 128, 128]);
    expect(correlationColor(-0.5)).toEqual([128, 128, 255]);
    expect(correlationColor(NaN)).toEqual([160, 160, 160]);
  });

  it('defaults to about 256 pixels wide and round-trips through PNG', () => {
    const img = correlationHeatMap(r, 3);
    expect(img.width).toBe(3 * 85);
    const png = decode(encodePng(img));
    expect([png.width, png.height, png.channels]).toEqual([img.width, img.height, 3]);
    expect(Array.from(png.data)).toEqual(Array.from(img.data));
  });

  it('rejects a matrix with too few values or a bad cell size', () => {
    expect(() => correlationHeatMap([1, 0, 0], 2)).toThrowError(/a 2×2 matrix needs 4 values, found 3/);
    expect(() => correlationHeatMap([1], 1, { cell: 0 })).toThrowError(/cell must be a positive integer/);
  });
});

describe('activationHistogramsSvg', () => {
  const panels = [
    { title: 'relu1 (Relu 4×2×2)', lo: 0, hi: 4, counts: [1, 3, 0, 2], sampled: 10, zeros: 0.4 },
    { title: 'conv1 <Conv>', lo: -2, hi: 2, counts: [2, 2], sampled: 4, zeros: 0 },
  ];

  it('one panel per layer: bars scaled to the tallest, zeros as text, a dashed line at 0 inside the range', () => {
    const svg = activationHistogramsSvg(panels, { columns: 2, panelHeight: 170 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<g class="panel">/g)).toHaveLength(2);
    const bars = [...svg.matchAll(/<rect class="bin" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"/g)].map((m) => Number(m[1]));
    // Panel height 170 minus margins 34 + 22 leaves 114 px for the tallest bar.
    expect(bars).toEqual([38, 114, 0, 76, 114, 114]);
    expect(svg).toContain('zeros 40.0%');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(1);
    expect(svg).toContain('conv1 &lt;Conv&gt;');
  });

  it('an empty list gives an empty document', () => {
    expect(activationHistogramsSvg([])).toMatch(/^<svg[^]*<\/svg>\n$/);
  });
});
