import { Sequential } from '@hubel/core';
import { assertGradients, checkLayerGradients } from '@hubel/core/testing';
import { GlobalMaxPool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { backend, readTensorProto, registry, runLayer } from '../../test/harness.js';
import { normals } from '../../test/pool-suite.js';
import { globalMaxPoolCases } from './cases.js';

describe('GlobalMaxPool', () => {
  for (const c of globalMaxPoolCases) {
    it(`GlobalMaxPool ${c.name}: ∂C/∂x matches finite differences`, async () => {
      assertGradients(await checkLayerGradients(c, backend, { registry, seed: 7 }));
    });
  }

  it('takes each channel map’s maximum (naive loop) and routes dy to the first arg-max, ties included', async () => {
    for (const [shape, ties] of [[[3, 4, 5, 6], false], [[2, 3, 2, 3, 4], false], [[2, 3, 4, 4], true]] as const) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = ties ? Float64Array.from({ length: n }, (_, i) => (i * 7) % 3) : normals(n, 5);
      const planes = shape[0] * shape[1];
      const s = n / planes;
      const dy = normals(planes, 6);
      const got = await runLayer(GlobalMaxPool, {}, x, shape, () => dy);
      const want = new Float64Array(planes);
      const dx = new Float64Array(n);
      for (let p = 0; p < planes; p++) {
        let arg = p * s;
        for (let i = 1; i < s; i++) if (x[p * s + i] > x[arg]) arg = p * s + i;
        want[p] = x[arg];
        dx[arg] = dy[p];
      }
      expect(Array.from(got.y)).toEqual(Array.from(want));
      expect(Array.from(got.dx!)).toEqual(Array.from(dx));
    }
  });

  it("equals ONNX's test_globalmaxpool output exactly", async () => {
    const x = readTensorProto('test_globalmaxpool', 'input_0.pb');
    const ref = readTensorProto('test_globalmaxpool', 'output_0.pb');
    const got = await runLayer(GlobalMaxPool, {}, x.values, x.dims);
    expect(got.shape).toEqual(ref.dims);
    expect(Array.from(got.y, Math.fround)).toEqual(Array.from(ref.values));
  });

  it('rejects an input without spatial dims, naming the node and shapes', () => {
    expect(() => new Sequential([null, 3], { registry }).add(GlobalMaxPool, {}, 'gmp').build({ backend })).toThrowError(/node 'gmp' \(GlobalMaxPool\): expected an input \[N, C, \.\.\.spatial\].*\(input shapes: \[1, 3\]\)/);
  });
});
