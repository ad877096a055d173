import { HubelError, Sequential } from '@hubel/core';
import { assertGradients, checkLayerGradients } from '@hubel/core/testing';
import { Maxout } from '@hubel/layers-pool';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backend, registry, runLayer } from '../../test/harness.js';
import { normals } from '../../test/pool-suite.js';
import { maxoutCases } from './cases.js';

/** Naive maxout: y[n, g, s] = max_j x[n, g·k + j, s]; dx to the lowest channel holding the max. */
function naiveMaxout(x: ArrayLike<number>, shape: readonly number[], k: number, dy: ArrayLike<number>) {
  const [n, c] = shape;
  const s = shape.slice(2).reduce((p, d) => p * d, 1);
  const g = c / k;
  const y = new Float64Array(n * g * s);
  const dx = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let q = 0; q < g; q++) {
      for (let i = 0; i < s; i++) {
        let arg = (b * c + q * k) * s + i;
        for (let j = 1; j < k; j++) {
          const at = (b * c + q * k + j) * s + i;
          if (x[at] > x[arg]) arg = at;
        }
        const o = (b * g + q) * s + i;
        y[o] = x[arg];
        dx[arg] += dy[o];
      }
    }
  }
  return { y, dx };
}

describe('Maxout', () => {
  for (const c of maxoutCases) {
    it(`ai.hubel.Maxout ${c.name}: ∂C/∂x matches finite differences`, async () => {
      assertGradients(await checkLayerGradients(c, backend, { registry, seed: 7 }));
    });
  }

  it('equals a naive loop on random shapes and group sizes, ties included (fast-check seed 20260104)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 1, max: 4 }),
          groups: fc.integer({ min: 1, max: 3 }),
          spatial: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
          seed: fc.integer({ min: 0, max: 1e6 }),
          ties: fc.boolean(),
        }),
        async ({ n, k, groups, spatial, seed, ties }) => {
          const shape = [n, k * groups, ...spatial];
          const size = shape.reduce((p, d) => p * d, 1);
          const x = ties ? Float64Array.from(normals(size, seed), (v) => Math.round(v)) : normals(size, seed);
          const dy = normals(size / k, seed + 1);
          const got = await runLayer(Maxout, { groupSize: k }, x, shape, () => dy);
          const want = naiveMaxout(x, shape, k, dy);
          expect(got.shape).toEqual([n, groups, ...spatial]);
          expect(Array.from(got.y)).toEqual(Array.from(want.y));
          expect(Array.from(got.dx!)).toEqual(Array.from(want.dx));
        },
      ),
      { seed: 20260104, numRuns: 150 },
    );
  });

  it('rejects channels not divisible by groupSize, naming node, attribute and shapes', () => {
    const build = () => new Sequential([null, 6, 4, 4], { registry }).add(Maxout, { groupSize: 4 }, 'maxout1').build({ backend });
    expect(build).toThrowError(HubelError);
    expect(build).toThrowError(/node 'maxout1' \(ai\.hubel\.Maxout\): attribute 'groupSize' 4 does not divide the 6 channels of input \[1, 6, 4, 4\]/);
    expect(() => Maxout.resolve({ groupSize: 0 }, "node 'm'")).toThrowError(/node 'm': attribute 'groupSize': expected >= 1, found 0/);
  });

  it('exports as Reshape → ReduceMax(axes = [2]) in standard ops (opset 18)', () => {
    const body = Maxout.onnx!.functionBody!(Maxout.resolve({ groupSize: 3 }));
    expect(body.opsets).toEqual({ '': 18 });
    expect(body.nodes.map((n) => n.opType)).toEqual(['Shape', 'Shape', 'Constant', 'Concat', 'Reshape', 'Constant', 'ReduceMax']);
    expect(body.nodes[2].attrs).toEqual({ value: { tensor: { dims: [2], int64s: [-1, 3] } } });
    expect(body.nodes[6]).toMatchObject({ inputs: ['grouped', 'axis'], outputs: ['Y'], attrs: { keepdims: 0 } });
  });
});
