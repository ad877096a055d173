import { accuracyCurveSvg, decodePng, labelledGridSvg } from '@hubel/viz';
import { describe, expect, it } from 'vitest';

describe('labelledGridSvg', () => {
  it('3 gray 2×2 tiles: one embedded PNG per tile at the true [0, 1] scale, captions escaped and split into lines', () => {
    const values = [0, 0.5, 1, 0.25, /* tile 1 */ 0.5, 0.5, 0.5, 0.5, /* tile 2 */ 0, 0, 0, 1];
    const svg = labelledGridSvg(values, 3, 1, 2, 2, ['Bag\n99.9%', 'T-shirt/top & <co>', 'x'], { columns: 2, scale: 3, title: 'Fooling' });
    const pngs = [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decodePng(new Uint8Array(Buffer.from(m[1], 'base64'))));
    expect(pngs).toHaveLength(3);
    expect(pngs[0]).toMatchObject({ width: 6, height: 6, channels: 1 });
    // Pixel (0, 0) of tile 0 is 0 → 0, pixel (0, 1) is 0.5 → 128 (not stretched), the constant tile 1 stays 0.5 → 128.
    expect([pngs[0].data[0], pngs[0].data[3], pngs[1].data[0]]).toEqual([0, 128, 128]);
    expect(svg).toContain('>Bag</text>');
    expect(svg).toContain('>99.9%</text>');
    expect(svg).toContain('>T-shirt/top &amp; &lt;co&gt;</text>');
    expect(svg).toContain('>Fooling</text>');
  });

  it('too few labels or values is an error', () => {
    expect(() => labelledGridSvg([0, 0, 0, 0], 1, 1, 2, 2, [])).toThrow(/1 tiles need 1 labels, found 0/);
    expect(() => labelledGridSvg([0, 0, 0], 1, 1, 2, 2, ['a'])).toThrow(/need 4 values, found 3/);
  });
});

describe('accuracyCurveSvg', () => {
  it('one polyline and legend entry per series, a tick per ε', () => {
    const svg = accuracyCurveSvg([
      { name: 'FGSM', points: [{ epsilon: 0, accuracy: 0.6 }, { epsilon: 0.1, accuracy: 0.2 }] },
      { name: 'PGD', points: [{ epsilon: 0, accuracy: 0.6 }, { epsilon: 0.1, accuracy: 0.02 }] },
    ]);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('>PGD</text>');
    expect(svg).toContain('>0.1</text>');
  });
});
