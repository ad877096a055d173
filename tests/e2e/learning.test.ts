// MLPs learn XOR and two spirals to ≥ 99% training accuracy with a fixed seed.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Adam, ArrayDataset, Registry, Rng, Sequential, Sgd, Trainer } from '@hubel/core';
import { activationLayers, Tanh } from '@hubel/layers-activation';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, denseLayers, activationLayers, lossLayers);

/** Two interleaved spirals, n points per arm (Lang & Witbrock 1988 style). */
export function twoSpirals(n: number, seed: number, noise = 0): ArrayDataset {
  const r = new Rng(seed);
  const x = new Float32Array(4 * n);
  const y = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = (i / n) * 3 * Math.PI + 0.5;
    for (let arm = 0; arm < 2; arm++) {
      const s = arm === 0 ? 1 : -1;
      const k = 2 * i + arm;
      x[2 * k] = (s * t * Math.cos(t)) / 10 + noise * r.normal();
      x[2 * k + 1] = (s * t * Math.sin(t)) / 10 + noise * r.normal();
      y[k] = arm;
    }
  }
  return new ArrayDataset(x, [2], y, [], 2);
}

describe('an MLP learns', () => {
  it('XOR to 100% training accuracy (seed 1)', async () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 2], { registry }).add(Linear, { outFeatures: 8 }).add(Tanh).add(Linear, { outFeatures: 2 }).build({ backend, seed: 1 });
    const data = new ArrayDataset(Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]), [2], Int32Array.from([0, 1, 1, 0]), [], 2);
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.5, momentum: 0.9 }), seed: 1 });
    await trainer.fit({ train: data, epochs: 300, batchSize: 4 });
    const stats = await trainer.evaluate(data, 4);
    expect(stats.error, 'seed 1').toBe(0);
    expect(stats.loss, 'seed 1').toBeLessThan(0.05);
  });

  it('two spirals to ≥ 99% training accuracy (seed 2)', async () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 2], { registry })
      .add(Linear, { outFeatures: 64 })
      .add(Tanh)
      .add(Linear, { outFeatures: 64 })
      .add(Tanh)
      .add(Linear, { outFeatures: 2 })
      .build({ backend, seed: 2 });
    const data = twoSpirals(100, 2);
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.01 }), seed: 2 });
    const summary = await trainer.fit({ train: data, epochs: 400, batchSize: 20 });
    const stats = await trainer.evaluate(data, 200);
    expect(stats.error, `seed 2, final train loss ${summary.history.at(-1)!.trainLoss}`).toBeLessThanOrEqual(0.01);
  });
});
