import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential } from '@hubel/core';
import { activationLayers, Tanh } from '@hubel/layers-activation';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, activationLayers);

describe('Tanh', () => {
  it('y = (e^{2x} − 1)/(e^{2x} + 1) on NCHW input, and saturates to ±1 without NaN (seed 11)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 2, 3, 3], { registry }).add(Tanh, undefined, 'tanh').build({ backend });
    const r = new Rng(11);
    const x = Array.from({ length: 36 }, () => r.range(-4, 4));
    x[0] = 400;
    x[1] = -400;
    const y = await model.predict(backend.tensor(x, [2, 2, 3, 3])).read();
    for (let i = 2; i < x.length; i++) {
      const e = Math.exp(2 * x[i]);
      // The two formulas differ only by rounding: a few ulps of values ≤ 1 (and e^8 ≈ 3e3 keeps
      // cancellation in e − 1 mild), so 1e-14 absolute is ample.
      expect(Math.abs(y[i] - (e - 1) / (e + 1)), `x[${i}] = ${x[i]}`).toBeLessThan(1e-14);
    }
    expect([y[0], y[1]]).toEqual([1, -1]);
  });
});
