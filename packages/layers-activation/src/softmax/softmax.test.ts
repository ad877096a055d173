import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { activationLayers, Softmax } from '@hubel/layers-activation';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, activationLayers);

function draw(seed: number, n: number, scale = 1): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => scale * r.normal());
}

describe('Softmax', () => {
  it('axis 1 of NCHW: each (n, h, w) fibre is exp(x)/Σexp(x) over C and sums to 1 (seed 29)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const [n, c, h, w] = [2, 4, 3, 2];
    const model = new Sequential([null, c, h, w], { registry }).add(Softmax, { axis: 1 }, 'sm').build({ backend });
    const x = draw(29, n * c * h * w, 2);
    const y = await model.predict(backend.tensor(x, [n, c, h, w])).read();
    for (let b = 0; b < n; b++)
      for (let k = 0; k < h * w; k++) {
        const at = (ch: number) => (b * c + ch) * h * w + k;
        let z = 0;
        for (let ch = 0; ch < c; ch++) z += Math.exp(x[at(ch)]);
        let total = 0;
        for (let ch = 0; ch < c; ch++) {
          total += y[at(ch)];
          // Unshifted vs max-shifted exponentials of |x| ≲ 8: a few ulps apart, values ≤ 1.
          expect(Math.abs(y[at(ch)] - Math.exp(x[at(ch)]) / z), `n=${b} c=${ch} hw=${k}`).toBeLessThan(1e-14);
        }
        expect(Math.abs(total - 1)).toBeLessThan(1e-14); // 4 terms ≤ 1, each rounded once
      }
  });

  it('default axis −1 on [3, 5]; dx equals (diag(y) − y·yᵀ)·dy built as a full Jacobian (seed 31)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 5], { registry }).add(Softmax, undefined, 'sm').build({ backend });
    const x = draw(31, 15);
    const dy = draw(32, 15);
    const run = model.forward({ input: backend.tensor(x, [3, 5]) }, { mode: 'train' });
    const g = run.backward({ seeds: { sm: backend.tensor(dy, [3, 5]) }, inputs: ['input'] });
    const dx = await g.inputs.get('input')!.read();
    for (let r = 0; r < 3; r++) {
      const row = x.slice(r * 5, r * 5 + 5);
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      const p = row.map((v) => Math.exp(v) / z);
      for (let i = 0; i < 5; i++) {
        let want = 0;
        for (let j = 0; j < 5; j++) want += ((i === j ? p[i] : 0) - p[i] * p[j]) * dy[r * 5 + j];
        // Five products of values ≤ |dy| ≲ 3: rounding differences ≲ 1e-15.
        expect(Math.abs(dx[r * 5 + i] - want), `row ${r}, i ${i}`).toBeLessThan(1e-14);
      }
    }
    g.dispose();
    run.dispose();
  });

  it('is stable for logits ~1e4 in float32: finite, equal to the softmax of the differences', async () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 3], { registry }).add(Softmax, undefined, 'sm').build({ backend });
    const y = await model.predict(backend.tensor([1e4, 1e4 - 1, 1e4 - 3, -1e4, -1e4 + 2, -1e4], [2, 3])).read();
    // softmax is shift invariant, so the rows equal softmax([0, −1, −3]) and softmax([0, 2, 0]).
    const expected = [[0, -1, -3], [0, 2, 0]].flatMap((row) => {
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      return row.map((v) => Math.exp(v) / z);
    });
    // float32 results: relative rounding ~6e-8 per operation, a handful of operations.
    expected.forEach((v, i) => expect(Math.abs(y[i] - v), `y[${i}]`).toBeLessThan(1e-6));
  });

  it('rejects an axis outside the input rank, naming node, axis and valid range', () => {
    const build = (axis: number) => () => new Sequential([null, 4], { registry }).add(Softmax, { axis }, 'sm').build({ backend: createCpuBackend() });
    expect(build(2)).toThrowError(HubelError);
    expect(build(2)).toThrowError(/node 'sm' \(Softmax\): axis 2 is out of range for a rank-2 input \(expected -2 … 1\).*input shapes: \[1, 4\]/);
    expect(build(-3)).toThrowError(/axis -3 is out of range/);
  });
});
