import { Sequential } from '@hubel/core';
import { assertGradients, checkLayerGradients } from '@hubel/core/testing';
import { AveragePool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { backend, readTensorProto, registry, runLayer } from '../../test/harness.js';
import { expectMatchesNaive, maxAbsDiff, propertyAgainstNaive } from '../../test/pool-suite.js';
import { averagePoolCases } from './cases.js';

describe('AveragePool: finite differences (float64)', () => {
  for (const c of averagePoolCases) {
    it(`AveragePool ${c.name}: ∂C/∂x matches finite differences`, async () => {
      assertGradients(await checkLayerGradients(c, backend, { registry, seed: 7 }));
    });
  }
});

describe('AveragePool: equals a naive direct loop', () => {
  const configs: [string, Record<string, unknown>, number[]][] = [
    ['AlexNet-style 3×3 stride 2 pads 1, countIncludePad', { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true }, [2, 3, 13, 13]],
    ['pads [2,1,0,1] ceilMode stride 3, excluding pads', { kernelShape: [4, 2], strides: [3, 2], pads: [2, 1, 0, 1], ceilMode: true }, [2, 2, 10, 9]],
    ['pads [2,1,0,1] ceilMode stride 3, countIncludePad', { kernelShape: [4, 2], strides: [3, 2], pads: [2, 1, 0, 1], ceilMode: true, countIncludePad: true }, [2, 2, 10, 9]],
    ['dilations [2,3] pads 2 countIncludePad', { kernelShape: [3, 2], dilations: [2, 3], pads: [2, 2, 2, 2], countIncludePad: true }, [1, 2, 8, 8]],
    ['1-D SAME_UPPER k4 stride 3 countIncludePad', { kernelShape: [4], strides: [3], autoPad: 'SAME_UPPER', countIncludePad: true }, [3, 2, 13]],
    ['3-D 3×3×3 stride 2 pads 1, countIncludePad', { kernelShape: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], countIncludePad: true }, [2, 2, 7, 8, 9]],
    ['3-D dilations [2,2,1] ceilMode, excluding pads', { kernelShape: [2, 2, 3], strides: [2, 1, 2], dilations: [2, 2, 1], pads: [1, 0, 1, 0, 1, 1], ceilMode: true }, [1, 3, 7, 6, 8]],
  ];
  for (const [name, attrs, shape] of configs) {
    it(`AveragePool ${name}: y and dx equal the naive loop's`, async () => {
      await expectMatchesNaive('avg', AveragePool, attrs as never, shape, 13);
    });
  }
  propertyAgainstNaive('avg', AveragePool, 20260102);
});

describe('AveragePool: ONNX edge cases, hand-computed', () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // [[1,2,3],[4,5,6],[7,8,9]]

  it('countIncludePad 0 vs 1 at the borders of a 3×3 input, 2×2 windows, pads 1', async () => {
    const attrs = { kernelShape: [2, 2], pads: [1, 1, 1, 1] };
    // Excluding pads, a corner window holds one input (x[0,0] = 1 → 1), an edge window two
    // ((1 + 2) / 2 = 1.5), an interior window four ((1 + 2 + 4 + 5) / 4 = 3).
    const exclude = await runLayer(AveragePool, attrs, x, [1, 1, 3, 3]);
    expect(Array.from(exclude.y)).toEqual([1, 1.5, 2.5, 3, 2.5, 3, 4, 4.5, 5.5, 6, 7, 7.5, 7, 7.5, 8.5, 9]);
    // Including pads every window divides by 4: corner 1/4, edge (1 + 2)/4, interior as before.
    const include = await runLayer(AveragePool, { ...attrs, countIncludePad: true }, x, [1, 1, 3, 3]);
    expect(Array.from(include.y)).toEqual([0.25, 0.75, 1.25, 0.75, 1.25, 3, 4, 2.25, 2.75, 6, 7, 3.75, 1.75, 3.75, 4.25, 2.25]);
  });

  it('ceilMode: the overhang past the end padding is not counted even with countIncludePad', async () => {
    // x = 1..7, k = 3, s = 2, pads [1, 0]: ceil((7 + 1 − 3) / 2) + 1 = 4 windows at −1, 1, 3, 5.
    // Window 0 = [pad, 1, 2]: (1 + 2) / 3 with the pad counted, / 2 without. Window 3 = [6, 7, beyond]:
    // the third tap is past the padded extent, so both modes divide by 2: 6.5.
    const seven = [1, 2, 3, 4, 5, 6, 7];
    const inc = await runLayer(AveragePool, { kernelShape: [3], strides: [2], pads: [1, 0], ceilMode: true, countIncludePad: true }, seven, [1, 1, 7]);
    const exc = await runLayer(AveragePool, { kernelShape: [3], strides: [2], pads: [1, 0], ceilMode: true }, seven, [1, 1, 7]);
    expect(Array.from(inc.y)).toEqual([1, 3, 5, 6.5]);
    expect(Array.from(exc.y)).toEqual([1.5, 3, 5, 6.5]);
  });

  it('SAME_UPPER vs SAME_LOWER with one odd padding unit', async () => {
    // k = 2, s = 1 on 1..5: total padding 1. UPPER [0, 1]: [1,2] … [4,5] [5,pad] → 1.5 2.5 3.5 4.5 5;
    // LOWER [1, 0]: [pad,1] [1,2] … → 1 1.5 2.5 3.5 4.5 (pads excluded from the divisor).
    const five = [1, 2, 3, 4, 5];
    const upper = await runLayer(AveragePool, { kernelShape: [2], autoPad: 'SAME_UPPER' }, five, [1, 1, 5]);
    const lower = await runLayer(AveragePool, { kernelShape: [2], autoPad: 'SAME_LOWER' }, five, [1, 1, 5]);
    expect(Array.from(upper.y)).toEqual([1.5, 2.5, 3.5, 4.5, 5]);
    expect(Array.from(lower.y)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
  });
});

describe("AveragePool: ONNX's own test data", () => {
  const cases: [string, Record<string, unknown>][] = [
    ['test_averagepool_1d_default', { kernelShape: [2] }],
    ['test_averagepool_2d_default', { kernelShape: [2, 2] }],
    ['test_averagepool_2d_ceil', { kernelShape: [3, 3], strides: [2, 2], ceilMode: true }],
    ['test_averagepool_2d_dilations', { kernelShape: [2, 2], strides: [1, 1], dilations: [2, 2], ceilMode: true }],
    ['test_averagepool_2d_pads_count_include_pad', { kernelShape: [3, 3], pads: [2, 2, 2, 2], countIncludePad: true }],
    ['test_averagepool_2d_precomputed_pads', { kernelShape: [5, 5], pads: [2, 2, 2, 2] }],
    ['test_averagepool_2d_precomputed_same_upper', { kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }],
    ['test_averagepool_2d_precomputed_strides', { kernelShape: [2, 2], strides: [2, 2] }],
    ['test_averagepool_2d_same_upper', { kernelShape: [2, 2], autoPad: 'SAME_UPPER' }],
    ['test_averagepool_2d_strides', { kernelShape: [5, 5], strides: [3, 3] }],
  ];
  for (const [name, attrs] of cases) {
    it(`${name}: equals ONNX's reference output`, async () => {
      const x = readTensorProto(name, 'input_0.pb');
      const ref = readTensorProto(name, 'output_0.pb');
      const got = await runLayer(AveragePool, attrs, x.values, x.dims);
      expect(got.shape).toEqual(ref.dims);
      // ONNX's reference averages ≤ 25 float32 values in float32: relative error ≤ 25·2⁻²⁴ ≈ 1.5e-6
      // of the largest |x| (inputs are ~N(0, 1), |x| < 5); ours is float64. 1e-5 absolute covers it.
      expect(maxAbsDiff(got.y, ref.values)).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('AveragePool: bad input', () => {
  it('rejects a kernel larger than the padded input, naming node, attribute and shapes', () => {
    expect(() => new Sequential([null, 1, 3], { registry }).add(AveragePool, { kernelShape: [3], pads: [0, 1], autoPad: 'NOTSET' }, 'avg').build({ backend })).not.toThrow();
    expect(() => new Sequential([null, 1, 3], { registry }).add(AveragePool, { kernelShape: [5] }, 'avg').build({ backend })).toThrowError(
      /node 'avg' \(AveragePool\): attribute 'kernelShape' \[5\]: window extent 5 .* larger than the padded input 3 \+ 0 \+ 0 = 3 \(input shapes: \[1, 1, 3\]\)/,
    );
  });
});
