// Issue 4 across packages: batch norm and dropout inside trained MLPs, the finalization plugin
// through the trainer's hook, and a whole-graph gradient check over every layer of the issue.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Adam, ArrayDataset, Registry, Rng, Sequential, Sgd, Trainer } from '@hubel/core';
import { checkModelGradients } from '@hubel/core/testing';
import { activationLayers, Relu } from '@hubel/layers-activation';
import { denseLayers, Dropout, Flatten, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { BatchNormalization, BatchNormFinalizer, LocalContrastNorm, LRN, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, denseLayers, activationLayers, lossLayers, normLayers);

/** Two interleaved spirals, n points per arm. */
function twoSpirals(n: number): ArrayDataset {
  const x = new Float32Array(4 * n);
  const y = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = (i / n) * 3 * Math.PI + 0.5;
    for (let arm = 0; arm < 2; arm++) {
      const s = arm === 0 ? 1 : -1;
      const k = 2 * i + arm;
      x[2 * k] = (s * t * Math.cos(t)) / 10;
      x[2 * k + 1] = (s * t * Math.sin(t)) / 10;
      y[k] = arm;
    }
  }
  return new ArrayDataset(x, [2], y, [], 2);
}

describe('batch normalization and dropout in trained models', () => {
  it('an MLP with batch norm and dropout learns two spirals (seed 3)', async () => {
    const model = new Sequential([null, 2], { registry })
      .add(Linear, { outFeatures: 64 })
      .add(BatchNormalization)
      .add(Relu)
      .add(Dropout, { ratio: 0.1 })
      .add(Linear, { outFeatures: 64 })
      .add(BatchNormalization)
      .add(Relu)
      .add(Linear, { outFeatures: 2 })
      .build({ backend: createCpuBackend(), seed: 3 });
    const data = twoSpirals(100);
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.01 }), seed: 3, plugins: [new BatchNormFinalizer()] });
    const summary = await trainer.fit({ train: data, epochs: 150, batchSize: 20 });
    const stats = await trainer.evaluate(data, 200);
    const first = summary.history[0].trainLoss;
    // A linear classifier gets ~50 % on spirals; the BN + dropout MLP must separate them. Eval mode
    // (finalized statistics, no dropout); the training-mode loss stays noisy with batches of 20.
    expect(stats.error, `seed 3, first-epoch loss ${first}, eval loss ${stats.loss}`).toBeLessThanOrEqual(0.03);
    expect(stats.loss, `seed 3, first-epoch loss ${first}`).toBeLessThan(first / 4);
    model.dispose();
  });

  it('the finalizer runs through the trainer\'s finalize hook and beats lagging running averages (seed 4)', async () => {
    // Two Gaussian classes far from the origin: after a single short epoch the running means
    // (momentum 0.9, starting at 0) still lag their true values, while finalization stores the
    // training set's exact statistics.
    const r = new Rng(4);
    const n = 400;
    const x = new Float32Array(2 * n);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      x[2 * i] = 20 + (y[i] ? 1.5 : -1.5) + r.normal();
      x[2 * i + 1] = -10 + 2 * r.normal();
    }
    const data = new ArrayDataset(x, [2], y, [], 2);
    const model = new Sequential([null, 2], { registry })
      .add(BatchNormalization, undefined, 'bn_in')
      .add(Linear, { outFeatures: 8 })
      .add(BatchNormalization)
      .add(Relu)
      .add(Linear, { outFeatures: 2 })
      .build({ backend: createCpuBackend(), seed: 4 });
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.1, momentum: 0.9 }), seed: 4, plugins: [new BatchNormFinalizer()] });
    let runningError = NaN;
    let runningMean = NaN;
    // Tapped before the finalizer (stage −1): the model as the running averages left it.
    trainer.hooks.finalize.tapPromise({ name: 'MeasureRunningAverages', stage: -1 }, async () => {
      runningError = (await trainer.evaluate(data, 100)).error;
      runningMean = (await model.node('bn_in').params.input_mean.read())[0];
    });
    await trainer.fit({ train: data, epochs: 1, batchSize: 40 });
    const finalizedError = (await trainer.evaluate(data, 100)).error;
    const finalizedMean = (await model.node('bn_in').params.input_mean.read())[0];
    let exactMean = 0;
    for (let i = 0; i < n; i++) exactMean += x[2 * i] / n;
    // Float32 tensors summed in float64: ~1e-6 relative.
    expect(Math.abs(finalizedMean - exactMean)).toBeLessThan(1e-4);
    // 10 steps of momentum 0.9 from 0 reach only 1 − 0.9¹⁰ ≈ 65 % of the mean ≈ 20.
    expect(runningMean).toBeLessThan(0.7 * exactMean);
    // Measured: 50 % error with the running averages, 7.5 % after finalization.
    expect(finalizedError, `running-average error ${runningError}, finalized ${finalizedError}, seed 4`).toBeLessThanOrEqual(runningError);
    expect(finalizedError).toBeLessThan(0.2);
    model.dispose();
  });

  it('a model using every layer of the issue passes a whole-graph gradient check (float64, training mode, seed 5)', async () => {
    const model = new Sequential([null, 3, 5, 5], { registry })
      .add(LocalContrastNorm, { size: 3, sigma: 1 })
      .add(LRN, { size: 3, alpha: 0.5, beta: 0.75, bias: 2 })
      .add(BatchNormalization)
      .add(Dropout, { ratio: 0.3 })
      .add(Flatten)
      .add(Linear, { outFeatures: 3 })
      .add(BatchNormalization)
      .build({ backend: createCpuBackend({ dtype: 'float64' }), seed: 5 });
    const r = new Rng(5);
    const report = await checkModelGradients(
      model,
      { feeds: { input: { shape: [2, 3, 5, 5], values: Float64Array.from({ length: 150 }, () => r.normal()) } }, differentiate: ['input'] },
      // LocalContrastNorm's max(c, σ) has kinks; the checker skips scalars on them.
      { seed: 5, kink: 1e-3 },
    );
    expect(report.ok, report.summary).toBe(true);
    expect(report.entries.map((e) => e.name)).toEqual(['input', 'batchnormalization1.scale', 'batchnormalization1.B', 'gemm1.W', 'gemm1.B', 'batchnormalization2.scale', 'batchnormalization2.B']);
    model.dispose();
  });
});
