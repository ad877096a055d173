import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

describe('logSoftmax block', () => {
  it('equals log(e^x / Σ e^x) along the middle, first and last axes, and stays finite for huge logits (seed 31)', async () => {
    const be = createCpuBackend({ dtype: 'float64' });
    const r = new Rng(31);
    const shape = [2, 3, 4];
    const x = Float64Array.from({ length: 24 }, () => 3 * r.normal());
    const strides = [12, 4, 1];
    for (const axis of [0, 1, 2, -1]) {
      const k = axis < 0 ? axis + 3 : axis;
      const got = await be.blocks.logSoftmax(be.tensor(x, shape), axis).read();
      for (let i = 0; i < 24; i++) {
        // The slice through i along axis k, by index arithmetic.
        const pos = Math.floor(i / strides[k]) % shape[k];
        const start = i - pos * strides[k];
        let s = 0;
        for (let j = 0; j < shape[k]; j++) s += Math.exp(x[start + j * strides[k]]);
        // Plain float64 formula vs the max-shifted one: both within a few ulps of |x| ≲ 10.
        expect(got[i]).toBeCloseTo(x[i] - Math.log(s), 12);
      }
    }
    const big = await be.blocks.logSoftmax(be.tensor([1e4, 1e4 - 1, -1e4], [1, 3]), 1).read();
    // log p for logits (0, −1, −2e4) after the shift: −log(1 + e^−1), −1 − log(1 + e^−1), ≈ −2e4.
    // x − shift subtracts numbers near 1e4, whose float64 spacing is 1.8e-12: 1e-10 allows that.
    expect(big[0]).toBeCloseTo(-Math.log(1 + Math.exp(-1)), 10);
    expect(big[1]).toBeCloseTo(-1 - Math.log(1 + Math.exp(-1)), 10);
    expect(big[2]).toBeCloseTo(-2e4 - Math.log(1 + Math.exp(-1)), 6);
    expect(() => be.blocks.logSoftmax(be.tensor(x, shape), 3)).toThrowError(/logSoftmax: axis 3 is out of range for shape \[2, 3, 4\]/);
  });
});
