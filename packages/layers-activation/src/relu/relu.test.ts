import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential, type AnyLayer } from '@hubel/core';
import { activationLayers, LeakyRelu, Relu } from '@hubel/layers-activation';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, activationLayers);

/** One-node model: y and dx = dy·∂y/∂x for the given x and dy, in float64. */
async function forwardBackward(layer: AnyLayer, attrs: Record<string, unknown> | undefined, x: number[], dy: number[], shape: number[]) {
  const backend = createCpuBackend({ dtype: 'float64' });
  const model = new Sequential(shape, { registry }).add(layer, attrs as never, 'act').build({ backend });
  const xt = backend.tensor(x, shape);
  const dyt = backend.tensor(dy, shape);
  const run = model.forward({ input: xt }, { mode: 'train' });
  const y = Array.from(await run.get('act').read());
  const g = run.backward({ seeds: { act: dyt }, inputs: ['input'] });
  const dx = Array.from(await g.inputs.get('input')!.read());
  g.dispose();
  run.dispose();
  return { y, dx };
}

function draw(seed: number, n: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.normal());
}

describe('Relu', () => {
  it('y = max(0, x) and dx = dy where x > 0, else 0 (seed 3)', async () => {
    const x = [...draw(3, 22), 0, -0];
    const dy = draw(4, 24);
    const { y, dx } = await forwardBackward(Relu, undefined, x, dy, [4, 6]);
    // The subgradient at exactly 0 is 0 (the last two entries).
    expect(y).toEqual(x.map((v) => (v > 0 ? v : 0)));
    expect(dx).toEqual(x.map((v, i) => (v > 0 ? dy[i] : 0)));
  });
});

describe('LeakyRelu', () => {
  it('default alpha is 0.01: y = x or 0.01·x, dx = dy or 0.01·dy (seed 5)', async () => {
    const x = draw(5, 2 * 3 * 2 * 2);
    const dy = draw(6, x.length);
    const { y, dx } = await forwardBackward(LeakyRelu, undefined, x, dy, [2, 3, 2, 2]);
    // Products of two doubles computed the same way: equal to the last bit.
    expect(y).toEqual(x.map((v) => (v >= 0 ? v : 0.01 * v)));
    expect(dx).toEqual(x.map((v, i) => (v > 0 ? dy[i] : 0.01 * dy[i])));
  });

  it('alpha 0.3 on [3, 5] (seed 7)', async () => {
    const x = draw(7, 15);
    const { y } = await forwardBackward(LeakyRelu, { alpha: 0.3 }, x, x, [3, 5]);
    expect(y).toEqual(x.map((v) => (v >= 0 ? v : 0.3 * v)));
  });

  it('rejects a non-number alpha naming the node and the attribute', () => {
    expect(() => new Sequential([null, 3], { registry }).add(LeakyRelu, { alpha: 'big' } as never, 'lr').build({ backend: createCpuBackend() })).toThrowError(
      /node 'lr' \(LeakyRelu\): attribute 'alpha': expected a finite number, found "big"/,
    );
  });
});
