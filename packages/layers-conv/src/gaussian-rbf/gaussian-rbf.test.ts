import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { convLayers, GaussianRbf } from '@hubel/layers-conv';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, convLayers);

describe('GaussianRbf: finite differences (float64)', () => {
  gradcheckPlugin({ ...convLayers, cases: convLayers.cases!.filter((c) => c.layer === GaussianRbf) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

/** Direct loop: y[n, p, oh, ow] = exp(−β·Σ_{c, i, j} (x[n, c, oh·s − pt + i, ow·s − pl + j] − P[p, c, i, j])²), zeros outside x. */
function naiveRbf(shape: number[], x: ArrayLike<number>, P: ArrayLike<number>, a: { prototypes: number; kernelShape: number[]; strides?: number[]; pads?: number[]; beta: number }) {
  const [n, c, H, W] = shape;
  const [KH, KW] = a.kernelShape;
  const [SH, SW] = a.strides ?? [1, 1];
  const [PT, PL, PB, PR] = a.pads ?? [0, 0, 0, 0];
  const OH = Math.floor((H + PT + PB - KH) / SH) + 1, OW = Math.floor((W + PL + PR - KW) / SW) + 1;
  const y: number[] = [];
  for (let ni = 0; ni < n; ni++)
    for (let p = 0; p < a.prototypes; p++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let d = 0;
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const h = oh * SH - PT + i, w = ow * SW - PL + j;
                const v = h >= 0 && h < H && w >= 0 && w < W ? x[((ni * c + ci) * H + h) * W + w] : 0;
                d += (v - P[((p * c + ci) * KH + i) * KW + j]) ** 2;
              }
          y.push(Math.exp(-a.beta * d));
        }
  return { y, outShape: [n, a.prototypes, OH, OW] };
}

describe('GaussianRbf: equals a naive direct loop', () => {
  const configs: [string, { prototypes: number; kernelShape: number[]; strides?: number[]; pads?: number[]; beta: number }, number[]][] = [
    ['4 prototypes 3×3 over 4 channels, stride 1', { prototypes: 4, kernelShape: [3, 3], beta: 0.5 }, [2, 4, 7, 6]],
    ['7 prototypes 2×3 stride [2,1] pads [1,2,0,1]', { prototypes: 7, kernelShape: [2, 3], strides: [2, 1], pads: [1, 2, 0, 1], beta: 2 }, [3, 2, 6, 5]],
  ];
  for (const [name, attrs, shape] of configs) {
    it(`GaussianRbf ${name}: y equals the loop's (float64, seed 11)`, async () => {
      const backend = createCpuBackend({ dtype: 'float64' });
      const model = new Sequential([null, ...shape.slice(1)], { registry }).add(GaussianRbf, attrs, 's2').build({ backend, seed: 11 });
      // Inputs in [0, 0.5) and P in [0, 1): distances of order K/4, so β up to 2 still leaves values far from 0.
      const rng = new Rng(11);
      const x = Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.range(0, 0.5));
      const P = await model.node('s2').params.P.read();
      const want = naiveRbf(shape, x, P, attrs);
      const y = model.predict(backend.tensor(x, shape));
      expect(y.shape).toEqual(want.outShape);
      const got = await y.read();
      const err = Math.max(...want.y.map((v, i) => Math.abs(v - got[i])));
      // float64 with sums of ≤ 24 terms: the expansion ‖x‖² − 2x·p + ‖p‖² loses at most ~1e-15·‖x‖² absolutely.
      expect(err, `max |Δ| = ${err}`).toBeLessThan(1e-12);
      expect(Math.max(...want.y)).toBeGreaterThan(1e-3);
      model.dispose();
    });
  }

  it('is exactly 1 where the window equals the prototype, and exp(−β·‖x − p‖²) elsewhere (hand example)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 1, 1, 3], { registry }).add(GaussianRbf, { prototypes: 1, kernelShape: [1, 2], beta: 0.5 }, 's2').build({ backend, seed: 1 });
    backend.ops.assign(model.node('s2').params.P, backend.tensor([1, 2], [1, 1, 1, 2]));
    const y = await model.predict(backend.tensor([1, 2, 4], [1, 1, 1, 3])).read();
    // windows (1, 2) → 0 distance; (2, 4) → (1² + 2²) = 5 → e^−2.5.
    expect(y[0]).toBe(1);
    expect(y[1]).toBeCloseTo(Math.exp(-2.5), 14);
    model.dispose();
  });
});

describe('GaussianRbf: ONNX function body', () => {
  it('is two Convs, ‖P‖² and an Exp, in standard ops with the window attributes', () => {
    const body = GaussianRbf.onnx!.functionBody!(GaussianRbf.resolve({ prototypes: 3, kernelShape: [2, 3], strides: [2, 1], pads: [1, 0, 1, 0], beta: 0.25 }));
    const convs = body.nodes.filter((n) => n.opType === 'Conv');
    expect(convs.map((n) => n.inputs)).toEqual([['X', 'P'], ['x2', 'ones']]);
    for (const c of convs) expect(c.attrs).toEqual({ kernel_shape: [2, 3], strides: [2, 1], pads: [1, 0, 1, 0] });
    expect(body.nodes.find((n) => n.outputs[0] === 'minusBeta')!.attrs).toEqual({ value: { tensor: { dims: [], floats: [-0.25] } } });
    expect(body.nodes.at(-1)).toMatchObject({ opType: 'Exp', outputs: ['Y'] });
    expect(body.inputs).toEqual(['X', 'P']);
  });
});
