// Training in Chromium on the CPU backend, on the bundled Fashion-MNIST sample fetched like a
// page fetches it: the loss falls and the test error drops far below chance; the WebAssembly and
// TypeScript kernel paths give the same losses up to float32 rounding.
import { availableCpuKernels, createCpuBackend, type CpuKernels } from '@hubel/backend-cpu';
import { Adam, ArrayDataset, Trainer, type Backend } from '@hubel/core';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { fashionNet } from '@hubel/models';
import { describe, expect, it } from 'vitest';
import { sample } from './sample.js';

const SEED = 3;

/** The first n examples of a dataset. */
function head(d: ArrayDataset, n: number): ArrayDataset {
  const per = d.inputShape.reduce((a, b) => a * b, 1);
  return new ArrayDataset(d.x.slice(0, n * per), d.inputShape, d.y.slice(0, n), d.targetShape, d.classes);
}

async function trainSteps(backend: Backend, data: ArrayDataset, batchSize: number) {
  const model = fashionNet({ channels: [8, 16], hidden: 64 }).build({ backend, seed: SEED });
  const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 2e-3 }), seed: SEED });
  const losses: number[] = [];
  trainer.hooks.batchEnd.tap('LossRecorder', (b) => void losses.push(b.loss));
  await trainer.fit({ train: data, epochs: 1, batchSize });
  return { model, trainer, losses };
}

const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

describe('training in Chromium on the CPU backend (Fashion-MNIST sample)', () => {
  it('fetches the sample through @hubel/data/browser: 4,000 + 1,000 images of 1×28×28, 10 classes', async () => {
    const [train, test] = await Promise.all([sample('train'), sample('test')]);
    expect(train.dataset.length).toBe(4000);
    expect(test.dataset.length).toBe(1000);
    expect(train.dataset.inputShape).toEqual([1, 28, 28]);
    expect(train.classNames[9]).toBe('Ankle boot');
    // Class-balanced sample: 400 training images per class.
    const counts = new Array(10).fill(0);
    for (const y of train.dataset.y) counts[y]++;
    expect(counts).toEqual(new Array(10).fill(400));
  });

  it(`a reduced Fashion convnet: 40 Adam steps of 32 lower the loss and the test error falls far below chance (seed ${SEED})`, async () => {
    const backend = createCpuBackend();
    const { model, trainer, losses } = await trainSteps(backend, head((await sample('train')).dataset, 1280), 32);
    expect(losses.length).toBe(40);
    const first = mean(losses.slice(0, 5));
    const last = mean(losses.slice(-5));
    console.info(`[browser] ${backend.description}: loss ${first.toFixed(3)} (first 5 steps) → ${last.toFixed(3)} (last 5)`);
    // Chance loss is ln 10 ≈ 2.30; after 1,280 images this net is typically near 1 or below.
    // Requiring a drop of at least 0.5 leaves a wide margin yet fails any run that does not learn.
    expect(first - last).toBeGreaterThan(0.5);
    const test = await trainer.evaluate((await sample('test')).dataset, 250);
    console.info(`[browser] test error after 40 steps: ${(100 * test.error).toFixed(1)}% on ${test.examples} images`);
    // Chance is 90% error; 50% is far above what 40 steps reach and far below chance.
    expect(test.error).toBeLessThan(0.5);
    model.dispose();
  });

  it('the WebAssembly and TypeScript kernel paths give the same losses over 6 steps, up to float32 rounding', async () => {
    const data = head((await sample('train')).dataset, 96);
    const runs: Record<string, number[]> = {};
    for (const kernels of availableCpuKernels() as CpuKernels[]) {
      const { model, losses } = await trainSteps(createCpuBackend({ kernels }), data, 16);
      runs[kernels] = losses;
      model.dispose();
    }
    // The paths sum in different orders (blocked SIMD vs scalar, fused multiply-adds): per step
    // ~1e-6 relative differences in gradients, which Adam carries forward; over 6 steps the
    // losses stay within 1e-4 relative, while a wrong kernel changes them at the first step.
    let worst = 0;
    for (const [path, losses] of Object.entries(runs)) {
      losses.forEach((l, i) => {
        worst = Math.max(worst, Math.abs(l - runs.ts[i]) / Math.abs(runs.ts[i]));
        const want = runs.ts[i];
        if (!(Math.abs(l - want) <= 1e-4 * Math.abs(want))) throw new Error(`step ${i}: '${path}' loss ${l}, 'ts' loss ${want} (seed ${SEED})`);
      });
    }
    console.info(`[browser] kernel paths ${Object.keys(runs).join(', ')}: largest relative loss difference from 'ts' over 6 steps ${worst.toExponential(1)}`);
    expect(Object.keys(runs)).toContain('simd');
  });
});
