// @hubel/viz on a real model: feature maps of one input at a chosen layer, checked against a
// direct convolution loop written here.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { fashionNet, zooRegistry } from '@hubel/models';
import { featureMapGrid, modelFilterGrid } from '@hubel/viz';
import { describe, expect, it } from 'vitest';

describe('featureMapGrid', () => {
  const seed = 8;
  it(`shows conv1's 32 maps of the first image, each normalized to 0…255 (seed ${seed})`, async () => {
    const backend = createCpuBackend();
    const model = fashionNet({ registry: zooRegistry(), kernel: 5 }).build({ backend, seed });
    const rng = new Rng(seed);
    const xs = Float32Array.from({ length: 2 * 784 }, () => rng.uniform());
    const x = backend.tensor(xs, [2, 1, 28, 28]);
    const img = await featureMapGrid(model, x, 'conv1');
    // 32 maps of 28×28 at scale 1 on ⌈√32⌉ = 6 columns, 1 px gaps.
    expect([img.width, img.height, img.channels]).toEqual([6 * 28 + 7, 6 * 28 + 7, 1]);
    const W = await model.node('conv1').params.W.read();
    for (const o of [0, 13, 31]) {
      // conv1: 5×5, pad 2, no bias: y[r][c] = Σ W[o][kr][kc]·x[r + kr − 2][c + kc − 2].
      const map = new Float64Array(784);
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          let s = 0;
          for (let kr = 0; kr < 5; kr++) {
            for (let kc = 0; kc < 5; kc++) {
              const rr = r + kr - 2;
              const cc = c + kc - 2;
              if (rr >= 0 && rr < 28 && cc >= 0 && cc < 28) s += W[o * 25 + kr * 5 + kc] * xs[rr * 28 + cc];
            }
          }
          map[r * 28 + c] = s;
        }
      }
      const lo = Math.min(...map);
      const hi = Math.max(...map);
      const x0 = 1 + (o % 6) * 29;
      const y0 = 1 + Math.floor(o / 6) * 29;
      for (let p = 0; p < 784; p += 37) {
        const want = ((map[p] - lo) / (hi - lo)) * 255;
        const got = img.data[(y0 + Math.floor(p / 28)) * img.width + x0 + (p % 28)];
        // float32 conv vs float64 loop: relative error ~1e-6 of the map's range, far below the
        // ±0.5 of rounding to an integer level; allow 1 level.
        expect(Math.abs(got - want), `map ${o}, pixel ${p}`).toBeLessThanOrEqual(1);
      }
    }
    const filters = await modelFilterGrid(model);
    expect([filters.width, filters.channels]).toEqual([6 * 30 + 7, 1]);
    x.dispose();
    model.dispose();
  });
});
