import { HubelError, Sequential } from '@hubel/core';
import { assertGradients, checkLayerGradients } from '@hubel/core/testing';
import { MaxPool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { backend, readTensorProto, registry, runLayer } from '../../test/harness.js';
import { expectMatchesNaive, propertyAgainstNaive } from '../../test/pool-suite.js';
import { maxPoolCases } from './cases.js';

describe('MaxPool: finite differences (float64)', () => {
  for (const c of maxPoolCases) {
    it(`MaxPool ${c.name}: ∂C/∂x matches finite differences`, async () => {
      assertGradients(await checkLayerGradients(c, backend, { registry, seed: 7 }));
    });
  }
});

describe('MaxPool: equals a naive direct loop', () => {
  const configs: [string, Record<string, unknown>, number[]][] = [
    ['AlexNet 3×3 stride 2 on 2×3×55×55 → 27×27', { kernelShape: [3, 3], strides: [2, 2] }, [2, 3, 55, 55]],
    ['AlexNet 3×3 stride 2 on 27×27 → 13×13', { kernelShape: [3, 3], strides: [2, 2] }, [1, 4, 27, 27]],
    ['pads [2,1,0,1] ceilMode stride 3', { kernelShape: [4, 2], strides: [3, 2], pads: [2, 1, 0, 1], ceilMode: true }, [2, 2, 10, 9]],
    ['dilations [2,3] pads 2', { kernelShape: [3, 2], dilations: [2, 3], pads: [2, 2, 2, 2] }, [1, 2, 8, 8]],
    ['1-D SAME_LOWER k4 stride 3', { kernelShape: [4], strides: [3], autoPad: 'SAME_LOWER' }, [3, 2, 13]],
    ['1-D ceilMode k2 stride 2 pads [0,1]', { kernelShape: [2], strides: [2], pads: [0, 1], ceilMode: true }, [2, 1, 9]],
    ['3-D 3×3×3 stride 2 pads 1 (C3D-style)', { kernelShape: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] }, [2, 3, 7, 8, 9]],
    ['3-D dilations [2,1,2] ceilMode, Indices column-major', { kernelShape: [2, 3, 2], strides: [1, 2, 2], dilations: [2, 1, 2], pads: [0, 1, 1, 1, 0, 0], ceilMode: true, storageOrder: 1 }, [1, 2, 6, 7, 8]],
  ];
  for (const [name, attrs, shape] of configs) {
    it(`MaxPool ${name}: y and dx equal the naive loop's`, async () => {
      await expectMatchesNaive('max', MaxPool, attrs as never, shape, 11);
      if (shape[2] === 55) {
        const { shape: out } = await runLayer(MaxPool, attrs, new Float64Array(2 * 3 * 55 * 55), shape);
        expect(out).toEqual([2, 3, 27, 27]); // AlexNet: floor((55 − 3) / 2) + 1 = 27
      }
    });
  }
  propertyAgainstNaive('max', MaxPool, 20260101);
});

describe('MaxPool: ONNX edge cases, hand-computed', () => {
  it('ties route the whole gradient to the first maximum in row-major window order', async () => {
    // One 2×2 window over [[3, 3], [3, 1]]: three equal maxima; only (0, 0) gets dy.
    const { y, dx } = await runLayer(MaxPool, { kernelShape: [2, 2] }, [3, 3, 3, 1], [1, 1, 2, 2], () => [5]);
    expect(Array.from(y)).toEqual([3]);
    expect(Array.from(dx!)).toEqual([5, 0, 0, 0]);
  });

  it('ceilMode drops a last window that would start entirely in the end padding', async () => {
    // x = [1, 2, 3, 4], k = 2, s = 2, pads [0, 1]: ceil((4 + 1 − 2) / 2) + 1 = 3 windows, but the third
    // would start at 4 = in + padBegin, inside the padding only, so ONNX/PyTorch keep 2: [2, 4].
    const { y, shape } = await runLayer(MaxPool, { kernelShape: [2], strides: [2], pads: [0, 1], ceilMode: true }, [1, 2, 3, 4], [1, 1, 4]);
    expect(shape).toEqual([1, 1, 2]);
    expect(Array.from(y)).toEqual([2, 4]);
    // Same geometry on 5 inputs: the third window starts at 4 < 5, covers x[4] and the pad: [2, 4, 5].
    const five = await runLayer(MaxPool, { kernelShape: [2], strides: [2], pads: [0, 1], ceilMode: true }, [1, 2, 3, 4, 5], [1, 1, 5]);
    expect(Array.from(five.y)).toEqual([2, 4, 5]);
  });

  it('SAME_UPPER puts the odd padding unit at the end, SAME_LOWER at the beginning', async () => {
    // k = 2, s = 2 on 5 inputs: ceil(5 / 2) = 3 outputs, total padding (3 − 1)·2 + 2 − 5 = 1.
    // UPPER pads [0, 1]: windows [1,2] [3,4] [5,pad] → [2, 4, 5]; LOWER pads [1, 0]: [pad,1] [2,3] [4,5] → [1, 3, 5].
    const x = [1, 2, 3, 4, 5];
    const upper = await runLayer(MaxPool, { kernelShape: [2], strides: [2], autoPad: 'SAME_UPPER' }, x, [1, 1, 5]);
    const lower = await runLayer(MaxPool, { kernelShape: [2], strides: [2], autoPad: 'SAME_LOWER' }, x, [1, 1, 5]);
    expect(Array.from(upper.y)).toEqual([2, 4, 5]);
    expect(Array.from(lower.y)).toEqual([1, 3, 5]);
    // 2-D, k 2×2, s 1 on [[1,2,3],[4,5,6],[7,8,9]]: UPPER windows reach right/down, LOWER left/up.
    const g = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const u2 = await runLayer(MaxPool, { kernelShape: [2, 2], autoPad: 'SAME_UPPER' }, g, [1, 1, 3, 3]);
    const l2 = await runLayer(MaxPool, { kernelShape: [2, 2], autoPad: 'SAME_LOWER' }, g, [1, 1, 3, 3]);
    expect(Array.from(u2.y)).toEqual([5, 6, 6, 8, 9, 9, 8, 9, 9]);
    expect(Array.from(l2.y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('MaxPool: Indices output, hand-computed', () => {
  it('flat indices include batch and channel; storageOrder 1 reads the spatial position column-major', async () => {
    // x [2, 1, 2, 3] = 0..11, one 2×2 window (stride 1) → outputs at columns 0 and 1 of each image.
    // Maxima sit at row 1: image 0 at (1, 1) and (1, 2), image 1 at the same places + 6.
    // Row-major: h·3 + w → 4, 5, 10, 11. Column-major: h + w·2 → 3, 5, then + 6: 9, 11.
    const x = Array.from({ length: 12 }, (_, i) => i);
    const row = await runLayer(MaxPool, { kernelShape: [2, 2] }, x, [2, 1, 2, 3]);
    const col = await runLayer(MaxPool, { kernelShape: [2, 2], storageOrder: 1 }, x, [2, 1, 2, 3]);
    expect(row.second).toEqual([4, 5, 10, 11]);
    expect(col.second).toEqual([3, 5, 9, 11]);
  });
});

describe("MaxPool: ONNX's own test data", () => {
  const cases: [string, Record<string, unknown>][] = [
    ['test_maxpool_1d_default', { kernelShape: [2] }],
    ['test_maxpool_2d_default', { kernelShape: [2, 2] }],
    ['test_maxpool_2d_ceil', { kernelShape: [3, 3], strides: [2, 2], ceilMode: true }],
    ['test_maxpool_2d_dilations', { kernelShape: [2, 2], strides: [1, 1], dilations: [2, 2] }],
    ['test_maxpool_2d_precomputed_pads', { kernelShape: [5, 5], pads: [2, 2, 2, 2] }],
    ['test_maxpool_2d_precomputed_same_upper', { kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }],
    ['test_maxpool_2d_same_upper', { kernelShape: [2, 2], autoPad: 'SAME_UPPER' }],
    ['test_maxpool_2d_same_lower', { kernelShape: [2, 2], autoPad: 'SAME_LOWER' }],
  ];
  for (const [name, attrs] of cases) {
    it(`${name}: equals ONNX's reference output exactly`, async () => {
      const x = readTensorProto(name, 'input_0.pb');
      const ref = readTensorProto(name, 'output_0.pb');
      const got = await runLayer(MaxPool, attrs, x.values, x.dims);
      expect(got.shape).toEqual(ref.dims);
      // A maximum is one of the float32 inputs, so the float64 result rounds back exactly.
      expect(Array.from(got.y, Math.fround)).toEqual(Array.from(ref.values));
    });
  }
});

describe('MaxPool: bad input', () => {
  const build = (attrs: Record<string, unknown>, input: (number | null)[]) =>
    new Sequential(input, { registry }).add(MaxPool, attrs as never, 'pool1').build({ backend });

  it('rejects a kernel larger than the padded input, naming node, attribute and shapes', () => {
    expect(() => build({ kernelShape: [5, 5], pads: [0, 1, 0, 0] }, [null, 2, 4, 6])).toThrowError(HubelError);
    expect(() => build({ kernelShape: [5, 5], pads: [0, 1, 0, 0] }, [null, 2, 4, 6])).toThrowError(
      /node 'pool1' \(MaxPool\): attribute 'kernelShape' \[5, 5\]: window extent 5 along spatial axis 0 .* larger than the padded input 4 \+ 0 \+ 0 = 4.*\(input shapes: \[1, 2, 4, 6\]\)/,
    );
  });

  it('rejects zero strides and negative pads, naming node and attribute', () => {
    expect(() => build({ kernelShape: [2, 2], strides: [0, 1] }, [null, 1, 4, 4])).toThrowError(/node 'pool1'.*attribute 'strides': element 0: expected >= 1, found 0/);
    expect(() => build({ kernelShape: [2, 2], pads: [0, -1, 0, 0] }, [null, 1, 4, 4])).toThrowError(/node 'pool1'.*attribute 'pads': element 1: expected >= 0, found -1/);
  });

  it('rejects an input rank that does not match kernelShape', () => {
    expect(() => build({ kernelShape: [2, 2] }, [null, 1, 8])).toThrowError(/node 'pool1' \(MaxPool\): expected a 4-D input \[N, C, H, W\] for kernelShape \[2, 2\], found rank 3 \(input shapes: \[1, 1, 8\]\)/);
  });

  it('rejects attribute lists of the wrong length and pads combined with autoPad', () => {
    expect(() => build({ kernelShape: [2, 2], strides: [2] }, [null, 1, 4, 4])).toThrowError(/node 'pool1'.*attribute 'strides': expected 2 values .*found 1/);
    expect(() => build({ kernelShape: [2, 2], pads: [1, 1] }, [null, 1, 4, 4])).toThrowError(/attribute 'pads': expected 4 values \(begins then ends/);
    expect(() => build({ kernelShape: [2], pads: [1, 0], autoPad: 'SAME_UPPER' }, [null, 1, 4])).toThrowError(/attribute 'pads' \[1, 0\] cannot be combined with autoPad 'SAME_UPPER'/);
    expect(() => build({ kernelShape: [2], ceilMode: true, autoPad: 'VALID' }, [null, 1, 4])).toThrowError(/node 'pool1'.*attribute 'ceilMode' cannot be combined with autoPad 'VALID'/);
  });

  it('rejects padding so wide that a window holds no input', () => {
    expect(() => build({ kernelShape: [2], pads: [2, 0] }, [null, 1, 4])).toThrowError(/node 'pool1'.*window of output 0 along spatial axis 0 .* lies entirely in the padding/);
    expect(() => build({ kernelShape: [2], pads: [0, 2] }, [null, 1, 4])).toThrowError(/window of output 4 along spatial axis 0 .* lies entirely in the padding/);
    // Dilation 2 over one input element with one pad each side: taps at −1 and 1, both padding.
    expect(() => build({ kernelShape: [2], pads: [1, 1], dilations: [2] }, [null, 1, 1])).toThrowError(/window of output 0 .* lies entirely in the padding/);
  });

  it('finds every all-padding window that a check of each window by brute force finds', () => {
    // windowAxes only looks at windows that start in the padding; this compares it, over small
    // geometries, with looking at every tap of every window.
    let rejected = 0;
    for (let size = 1; size <= 5; size++)
      for (let k = 1; k <= 3; k++)
        for (let stride = 1; stride <= 3; stride++)
          for (let dilation = 1; dilation <= 2; dilation++)
            for (let pb = 0; pb <= 4; pb++)
              for (let pe = 0; pe <= 4; pe++) {
                const extent = (k - 1) * dilation + 1;
                const out = Math.floor((size + pb + pe - extent) / stride) + 1;
                if (out < 1) continue;
                let empty = false;
                for (let o = 0; o < out; o++) {
                  let sees = false;
                  for (let j = 0; j < k; j++) {
                    const at = o * stride - pb + j * dilation;
                    if (at >= 0 && at < size) sees = true;
                  }
                  if (!sees) empty = true;
                }
                const attrs = { kernelShape: [k], strides: [stride], dilations: [dilation], pads: [pb, pe] };
                if (empty) {
                  expect(() => build(attrs, [null, 1, size]), JSON.stringify({ size, ...attrs })).toThrowError(/lies entirely in the padding/);
                  rejected++;
                } else expect(() => build(attrs, [null, 1, size]), JSON.stringify({ size, ...attrs })).not.toThrow();
              }
    expect(rejected).toBeGreaterThan(100);
  });
});
