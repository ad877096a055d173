import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential } from '@hubel/core';
import { activationLayers, Sigmoid } from '@hubel/layers-activation';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, activationLayers);

describe('Sigmoid', () => {
  it('y = 1/(1 + e^−x) on [5, 4] (seed 13)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 4], { registry }).add(Sigmoid, undefined, 'sig').build({ backend });
    const r = new Rng(13);
    const x = Array.from({ length: 20 }, () => r.range(-10, 10));
    const y = await model.predict(backend.tensor(x, [5, 4])).read();
    // Both forms are within a few ulps of the true value in (0, 1): 1e-15 absolute.
    x.forEach((v, i) => expect(Math.abs(y[i] - 1 / (1 + Math.exp(-v))), `x = ${v}`).toBeLessThan(1e-15));
  });

  it('stays finite in float32 for |x| = 1e4: exactly 0 and 1 at the ends', async () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 3], { registry }).add(Sigmoid, undefined, 'sig').build({ backend });
    const y = await model.predict(backend.tensor([-1e4, 0, 1e4], [1, 3])).read();
    expect(Array.from(y)).toEqual([0, 0.5, 1]);
  });
});
