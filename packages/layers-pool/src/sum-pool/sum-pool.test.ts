import { assertGradients, checkLayerGradients } from '@hubel/core/testing';
import { AveragePool, SumPool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { backend, registry, runLayer } from '../../test/harness.js';
import { expectMatchesNaive, propertyAgainstNaive } from '../../test/pool-suite.js';
import { sumPoolCases } from './cases.js';

describe('SumPool: finite differences (float64)', () => {
  for (const c of sumPoolCases) {
    it(`ai.hubel.SumPool ${c.name}: ∂C/∂x matches finite differences`, async () => {
      assertGradients(await checkLayerGradients(c, backend, { registry, seed: 7 }));
    });
  }
});

describe('SumPool: equals a naive direct loop', () => {
  const configs: [string, Record<string, unknown>, number[]][] = [
    ['overlapping 3×3 stride 2 pads [1,2,0,1]', { kernelShape: [3, 3], strides: [2, 2], pads: [1, 2, 0, 1] }, [2, 3, 9, 8]],
    ['1-D SAME_LOWER k3 stride 2 dilation 2', { kernelShape: [3], strides: [2], dilations: [2], autoPad: 'SAME_LOWER' }, [2, 2, 11]],
  ];
  for (const [name, attrs, shape] of configs) {
    it(`SumPool ${name}: y and dx equal the naive loop's`, async () => {
      await expectMatchesNaive('sum', SumPool, attrs as never, shape, 17);
    });
  }
  propertyAgainstNaive('sum', SumPool, 20260103);

  it('sums a hand-computed 2×2 / stride 1 example with zero padding', async () => {
    // [[1,2],[3,4]], pads [0,0,1,1]: windows (0,0) = 1+2+3+4, (0,1) = 2+4, (1,0) = 3+4, (1,1) = 4.
    const { y } = await runLayer(SumPool, { kernelShape: [2, 2], pads: [0, 0, 1, 1] }, [1, 2, 3, 4], [1, 1, 2, 2]);
    expect(Array.from(y)).toEqual([10, 6, 7, 4]);
  });
});

describe('SumPool: ONNX function body', () => {
  it('is AveragePool(count_include_pad = 1) times the kernel size, as standard ops', () => {
    const body = SumPool.onnx!.functionBody!(SumPool.resolve({ kernelShape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 0] }));
    expect(body.nodes.map((n) => n.opType)).toEqual(['AveragePool', 'Constant', 'Mul']);
    expect(body.nodes[0].attrs).toMatchObject({ kernel_shape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 0], count_include_pad: 1 });
    expect(body.nodes[1].attrs).toEqual({ value: { tensor: { dims: [], floats: [6] } } });
    expect(body.nodes[2]).toMatchObject({ inputs: ['mean', 'size'], outputs: ['Y'] });
  });

  it('holds numerically: AveragePool(countIncludePad) × Πk equals SumPool when no window overhangs', async () => {
    const attrs = { kernelShape: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1] };
    const x = Array.from({ length: 2 * 7 * 5 }, (_, i) => Math.sin(i + 1));
    const sum = await runLayer(SumPool, attrs, x, [1, 2, 7, 5]);
    const avg = await runLayer(AveragePool, { ...attrs, countIncludePad: true }, x, [1, 2, 7, 5]);
    // Same window sums; the average divides by 6 and × 6 restores it up to 2 roundings (< 1e-15·|y|).
    avg.y.forEach((v, i) => expect(Math.abs(v * 6 - sum.y[i])).toBeLessThan(1e-13));
  });
});
