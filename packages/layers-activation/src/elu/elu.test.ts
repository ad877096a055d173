import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential } from '@hubel/core';
import { activationLayers, Elu } from '@hubel/layers-activation';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, activationLayers);

describe('Elu', () => {
  for (const [alpha, given] of [[1, undefined], [0.5, { alpha: 0.5 }]] as const) {
    it(`alpha ${alpha}: y = x for x > 0, alpha·(e^x − 1) otherwise (seed 17)`, async () => {
      const backend = createCpuBackend({ dtype: 'float64' });
      const model = new Sequential([null, 3, 2, 2], { registry }).add(Elu, given, 'elu').build({ backend });
      const r = new Rng(17);
      const x = Array.from({ length: 24 }, () => r.range(-5, 5));
      const y = await model.predict(backend.tensor(x, [2, 3, 2, 2])).read();
      // exp(x) − 1 (test) vs expm1(x) (kernel): for x ≤ 0 both are within ~2 ulp(1) ≈ 4.4e-16
      // of the truth in absolute terms, times alpha ≤ 1: 1e-14 absolute is ample.
      x.forEach((v, i) => expect(Math.abs(y[i] - (v > 0 ? v : alpha * (Math.exp(v) - 1))), `x = ${v}`).toBeLessThan(1e-14));
    });
  }
});
