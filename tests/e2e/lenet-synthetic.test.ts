// LeNet-5 learns a small synthetic image task: four classes of 28×28 strokes (horizontal,
// vertical, and the two diagonals) of random length and position, on a noisy background.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Adam, ArrayDataset, Rng, Trainer } from '@hubel/core';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { lenet5, zooRegistry } from '@hubel/models';
import { cpuBackend } from '@hubel/backend-cpu';
import { describe, expect, it } from 'vitest';

function strokes(n: number, seed: number): ArrayDataset {
  const r = new Rng(seed);
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  const dirs = [[0, 1], [1, 0], [1, 1], [-1, 1]] as const; // (row step, column step) per class
  for (let i = 0; i < n; i++) {
    const cls = i % 4;
    y[i] = cls;
    const img = x.subarray(i * 784, (i + 1) * 784);
    for (let p = 0; p < 784; p++) img[p] = 0.15 * r.uniform();
    const len = 10 + r.int(8);
    const [dr, dc] = dirs[cls];
    // A start point that keeps the whole stroke inside the image.
    const r0 = dr < 0 ? len + r.int(27 - len) : r.int(28 - (dr ? len : 0));
    const c0 = r.int(28 - len);
    for (let t = 0; t < len; t++) img[(r0 + dr * t) * 28 + c0 + dc * t] = 0.8 + 0.2 * r.uniform();
  }
  return new ArrayDataset(x, [1, 28, 28], y, [], 4);
}

describe('LeNet-5 on synthetic strokes', () => {
  it('reaches ≥ 95% test accuracy in 10 epochs (seed 3)', async () => {
    const backend = createCpuBackend();
    const model = lenet5({ classes: 4, registry: zooRegistry(cpuBackend) }).build({ backend, seed: 3 });
    const train = strokes(960, 3);
    const test = strokes(160, 4);
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 2e-3 }), seed: 3 });
    const s = await trainer.fit({ train, epochs: 10, batchSize: 16 });
    const stats = await trainer.evaluate(test, 80);
    // Chance is 75% error; the strokes are unambiguous, so a working convnet is near 0.
    expect(stats.error, `seed 3, train losses ${s.history.map((h) => h.trainLoss.toFixed(3)).join(' ')}`).toBeLessThanOrEqual(0.05);
  }, 120_000);
});
