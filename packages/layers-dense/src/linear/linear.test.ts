import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { describe, expect, it } from 'vitest';

describe('dense layers: finite differences (float64)', () => {
  gradcheckPlugin(denseLayers, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

describe('Linear', () => {
  const registry = new Registry().use(cpuBackend, denseLayers);
  it('computes x·Wᵀ + b exactly as a plain loop does', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 3], { registry }).add(Linear, { outFeatures: 2 }, 'fc').build({
      backend,
      initialValues: { 'fc.W': [1, 2, 3, 4, 5, 6], 'fc.B': [0.5, -1] },
    });
    const x = backend.tensor([1, 0, -1, 2, 1, 0], [2, 3]);
    const y = await model.predict(x).read();
    // Row 0: [1·1+2·0+3·(−1) + 0.5, 4·1+5·0+6·(−1) − 1]; row 1: [1·2+2·1 + 0.5, 4·2+5·1 − 1].
    expect(Array.from(y)).toEqual([-1.5, -3, 4.5, 12]);
  });

  it('rejects a rank-4 input with an error naming the node and the shapes', () => {
    const backend = createCpuBackend();
    expect(() => new Sequential([null, 3, 4, 4], { registry }).add(Linear, { outFeatures: 2 }, 'fc').build({ backend })).toThrowError(
      /node 'fc' \(Gemm\): expected a 2-D input.*input shapes: \[1, 3, 4, 4\]/,
    );
  });

  it('rejects out-of-range attributes and unknown attribute names', () => {
    expect(() => Linear.resolve({ outFeatures: 0 }, "node 'fc'")).toThrowError(/node 'fc': attribute 'outFeatures': expected >= 1, found 0/);
    expect(() => Linear.resolve({ outFeatures: 2, units: 3 } as never, "node 'fc'")).toThrowError(HubelError);
    expect(() => Linear.resolve({ outFeatures: 2, units: 3 } as never, "node 'fc'")).toThrowError(/unknown attribute 'units' \(known: outFeatures, bias\)/);
  });
});
