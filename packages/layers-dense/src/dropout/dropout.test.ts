import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { denseLayers, Dropout } from '@hubel/layers-dense';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, denseLayers);

describe('Dropout: finite differences (float64) with the mask held fixed', () => {
  // The checker reseeds the rng before every forward, so every evaluation draws the same mask.
  gradcheckPlugin({ ...denseLayers, cases: denseLayers.cases.filter((c) => c.layer === Dropout) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

function build(ratio: number, features: number) {
  const backend = createCpuBackend({ dtype: 'float64' });
  return new Sequential([null, features], { registry }).add(Dropout, { ratio }, 'drop').build({ backend });
}

async function trainOutput(model: ReturnType<typeof build>, x: number[], shape: number[], seed: number): Promise<number[]> {
  const xt = model.backend.tensor(x, shape);
  const run = model.forward({ input: xt }, { mode: 'train', rng: new Rng(seed) });
  const y = Array.from(await run.get('drop').read());
  run.dispose();
  xt.dispose();
  return y;
}

describe('Dropout', () => {
  for (const ratio of [0.1, 0.5, 0.8]) {
    it(`ratio ${ratio}: zeroed fraction within binomial bounds, kept values scaled by 1/(1 − ratio), mean preserved (seed 60)`, async () => {
      const n = 20_000;
      const model = build(ratio, 1000);
      const x = Array.from({ length: n }, (_, i) => 1 + (i % 7));
      const y = await trainOutput(model, x, [20, 1000], 60);
      const zeros = y.filter((v) => v === 0).length;
      // Zeros ~ Binomial(n, ratio): within 4.5 standard deviations (two-sided miss ~7e-6 per run).
      const sd = Math.sqrt(n * ratio * (1 - ratio));
      expect(Math.abs(zeros - n * ratio), `zeros ${zeros} of ${n}, seed 60`).toBeLessThan(4.5 * sd);
      y.forEach((v, i) => {
        if (v !== 0) expect(v).toBeCloseTo(x[i] / (1 - ratio), 12);
      });
      // E[y] = x: Σy − Σx has standard deviation √(Σx²·ratio/(1 − ratio)); allow 4.5 of them.
      const sumX = x.reduce((a, b) => a + b, 0);
      const sumY = y.reduce((a, b) => a + b, 0);
      const sdSum = Math.sqrt((x.reduce((a, b) => a + b * b, 0) * ratio) / (1 - ratio));
      expect(Math.abs(sumY - sumX), `Σy ${sumY} vs Σx ${sumX}, seed 60`).toBeLessThan(4.5 * sdSum);
      model.dispose();
    });
  }

  it('the same seed draws the same mask; another seed draws another (seeds 61, 62)', async () => {
    const model = build(0.5, 50);
    const x = Array.from({ length: 100 }, (_, i) => i + 1);
    const a = await trainOutput(model, x, [2, 50], 61);
    const b = await trainOutput(model, x, [2, 50], 61);
    const c = await trainOutput(model, x, [2, 50], 62);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    model.dispose();
  });

  it('backward applies the forward mask: dx = dy ⊙ mask (seed 63)', async () => {
    const model = build(0.3, 40);
    const x = Array.from({ length: 120 }, () => 1);
    const xt = model.backend.tensor(x, [3, 40]);
    const dyValues = Array.from({ length: 120 }, (_, i) => (i % 5) - 2);
    const dy = model.backend.tensor(dyValues, [3, 40]);
    const run = model.forward({ input: xt }, { mode: 'train', rng: new Rng(63) });
    // With x = 1 the output is the mask itself.
    const mask = Array.from(await run.get('drop').read());
    const g = run.backward({ seeds: { drop: dy }, inputs: ['input'] });
    expect(Array.from(await g.inputs.get('input')!.read())).toEqual(dyValues.map((d, i) => d * mask[i]));
    g.dispose();
    run.dispose();
    xt.dispose();
    dy.dispose();
    model.dispose();
  });

  it('eval mode is the identity, forward and backward', async () => {
    const model = build(0.9, 6);
    const x = [1.5, -2, 3, 0.25, -7, 9, 1, 2, 3, 4, 5, 6];
    const xt = model.backend.tensor(x, [2, 6]);
    const dy = model.backend.tensor(x.map((v) => -v), [2, 6]);
    const run = model.forward({ input: xt }, { mode: 'eval', forBackward: true });
    expect(Array.from(await run.get('drop').read())).toEqual(x);
    const g = run.backward({ seeds: { drop: dy }, inputs: ['input'] });
    expect(Array.from(await g.inputs.get('input')!.read())).toEqual(x.map((v) => -v));
    g.dispose();
    run.dispose();
    xt.dispose();
    dy.dispose();
    model.dispose();
  });

  it('rejects a ratio outside [0, 1), naming the node and the value', () => {
    const make = (ratio: number) => () => new Sequential([null, 4], { registry }).add(Dropout, { ratio }, 'drop1').build({ backend: createCpuBackend() });
    expect(make(1)).toThrowError(HubelError);
    expect(make(1)).toThrowError(/node 'drop1' \(Dropout\): attribute 'ratio': expected < 1, found 1/);
    expect(make(-0.1)).toThrowError(/node 'drop1' \(Dropout\): attribute 'ratio': expected >= 0, found -0.1/);
  });
});
