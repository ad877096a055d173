import { createCpuBackend } from '@hubel/backend-cpu';
import { gradcheckPlugin, scalarCount } from '@hubel/core/testing';
import { lossLayers } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

// Every case of both losses: ∂C/∂x (and ∂C/∂t for EuclideanLoss cases whose target is
// differentiated) against central differences in float64; the checker's default tolerance
// 1e-6 is derived in @hubel/core/testing.
describe('loss layers: finite differences (float64)', () => {
  gradcheckPlugin(lossLayers, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

describe('loss cases', () => {
  it('stay within the finite-difference budget and are all loss layers with a scalar output', () => {
    for (const c of lossLayers.cases) {
      expect(scalarCount(c), c.name).toBeLessThanOrEqual(2000);
      expect(c.layer.role).toBe('loss');
    }
  });
});
