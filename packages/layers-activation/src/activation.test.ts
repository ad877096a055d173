import { createCpuBackend } from '@hubel/backend-cpu';
import { gradcheckPlugin, scalarCount } from '@hubel/core/testing';
import { activationLayers } from '@hubel/layers-activation';
import { describe, expect, it } from 'vitest';

// Every case of every activation: ∂C/∂x and ∂C/∂slope (PRelu) against central differences in
// float64 (the checker's default tolerance 1e-6 is derived in @hubel/core/testing).
describe('activation layers: finite differences (float64)', () => {
  gradcheckPlugin(activationLayers, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

describe('activation cases', () => {
  it('cover every layer with 2-D and 4-D inputs, within the finite-difference budget', () => {
    for (const layer of activationLayers.layers) {
      const ranks = new Set(activationLayers.cases.filter((c) => c.layer === layer).map((c) => (Array.isArray(c.inputs[0]) ? c.inputs[0] : (c.inputs[0] as { shape: number[] }).shape).length));
      expect([...ranks].sort(), layer.type).toEqual([2, 4]);
    }
    for (const c of activationLayers.cases) expect(scalarCount(c), c.name).toBeLessThanOrEqual(2000);
  });
});
