import { Sequential } from '@hubel/core';
import { assertGradients, checkLayerGradients } from '@hubel/core/testing';
import { GlobalAveragePool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { backend, readTensorProto, registry, runLayer } from '../../test/harness.js';
import { maxAbsDiff, normals } from '../../test/pool-suite.js';
import { globalAveragePoolCases } from './cases.js';

describe('GlobalAveragePool', () => {
  for (const c of globalAveragePoolCases) {
    it(`GlobalAveragePool ${c.name}: ∂C/∂x matches finite differences`, async () => {
      assertGradients(await checkLayerGradients(c, backend, { registry, seed: 7 }));
    });
  }

  it('averages each channel map (naive loop), 2-D and 3-D, and spreads dy/S back', async () => {
    for (const shape of [[3, 4, 5, 6], [2, 3, 2, 3, 4]]) {
      const x = normals(shape.reduce((p, d) => p * d, 1), 3);
      const planes = shape[0] * shape[1];
      const s = x.length / planes;
      const dy = normals(planes, 4);
      const got = await runLayer(GlobalAveragePool, {}, x, shape, () => dy);
      expect(got.shape).toEqual([shape[0], shape[1], ...shape.slice(2).map(() => 1)]);
      const want = new Float64Array(planes);
      const dx = new Float64Array(x.length);
      for (let p = 0; p < planes; p++) {
        for (let i = 0; i < s; i++) want[p] += x[p * s + i];
        want[p] /= s;
        for (let i = 0; i < s; i++) dx[p * s + i] = dy[p] / s;
      }
      // ≤ 120 float64 additions, same order: rounding ≤ 120·2⁻⁵³·Σ|x| ≈ 1e-12 at most.
      expect(maxAbsDiff(got.y, want)).toBeLessThan(1e-12);
      expect(maxAbsDiff(got.dx!, dx)).toBeLessThan(1e-15);
    }
  });

  it("equals ONNX's test_globalaveragepool output", async () => {
    const x = readTensorProto('test_globalaveragepool', 'input_0.pb');
    const ref = readTensorProto('test_globalaveragepool', 'output_0.pb');
    const got = await runLayer(GlobalAveragePool, {}, x.values, x.dims);
    expect(got.shape).toEqual(ref.dims);
    // 25 float32 inputs averaged in float32 by the reference: ≤ 25·2⁻²⁴·max|x| < 1e-5.
    expect(maxAbsDiff(got.y, ref.values)).toBeLessThan(1e-5);
  });

  it('rejects an input without spatial dims, naming the node and shapes', () => {
    expect(() => new Sequential([null, 3], { registry }).add(GlobalAveragePool, {}, 'gap').build({ backend })).toThrowError(
      /node 'gap' \(GlobalAveragePool\): expected an input \[N, C, \.\.\.spatial\] with at least one spatial dim, found rank 2 \(input shapes: \[1, 3\]\)/,
    );
  });
});
