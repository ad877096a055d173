import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Adam, ArrayDataset, HubelError, Registry, Rng, Sequential, Trainer, type Model } from '@hubel/core';
import { checkpointBytes, readCheckpoint } from '@hubel/io';
import { activationLayers, Relu } from '@hubel/layers-activation';
import { denseLayers, Dropout, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, denseLayers, activationLayers, lossLayers);
const DATA_SEED = 11;

function dataset(): ArrayDataset {
  const r = new Rng(DATA_SEED);
  const n = 40;
  const x = Float32Array.from({ length: n * 6 }, () => r.normal());
  const y = Int32Array.from({ length: n }, () => r.int(3));
  return new ArrayDataset(x, [6], y, [], 3);
}

function mlp(backend = createCpuBackend()): Model {
  return new Sequential([null, 6], { registry })
    .add(Linear, { outFeatures: 8 }, 'fc1')
    .add(Relu, undefined, 'relu1')
    .add(Dropout, { ratio: 0.25 }, 'drop1')
    .add(Linear, { outFeatures: 3 }, 'fc2')
    .build({ backend, seed: 5 });
}

const trainer = (model: Model) => new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.01 }), seed: 3 });

async function weights(model: Model): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const p of model.params()) out[p.key] = Array.from(await p.tensor.read());
  return out;
}

describe('checkpoints', () => {
  it('resuming from a checkpoint written mid-run gives bit-identical weights (Adam, dropout, shuffling; data seed 11)', async () => {
    const train = dataset();
    const straight = mlp();
    await trainer(straight).fit({ train, epochs: 2, batchSize: 8 });

    // The same run, stopped after epoch 0 and two batches of epoch 1, saved, and resumed in
    // a fresh model, optimizer and trainer built from the checkpoint alone.
    const first = mlp();
    const t1 = trainer(first);
    t1.hooks.batchEnd.tap('stop', (b) => {
      if (b.epoch === 1 && b.batch === 1) t1.requestStop('checkpoint test');
    });
    const summary = await t1.fit({ train, epochs: 2, batchSize: 8 });
    expect(summary.stoppedEarly).toBe(true);
    const bytes = await checkpointBytes(first, await t1.state());

    const restored = readCheckpoint(bytes, { registry, backend: createCpuBackend() });
    expect(restored.state.epoch).toBe(1);
    expect(restored.state.batchInEpoch).toBe(2);
    await trainer(restored.model).fit({ train, epochs: 2, batchSize: 8, resume: restored.state });

    expect(await weights(restored.model)).toEqual(await weights(straight));
  });

  it('keeps float64 parameters exactly (DOUBLE initializers)', async () => {
    const model = mlp(createCpuBackend({ dtype: 'float64' }));
    const t = trainer(model);
    await t.fit({ train: dataset(), epochs: 1, batchSize: 8 });
    const back = readCheckpoint(await checkpointBytes(model, await t.state()), { registry, backend: createCpuBackend({ dtype: 'float64' }) });
    expect(await weights(back.model)).toEqual(await weights(model));
    expect(back.state.history[0].valLoss).toBeNaN();
  });

  it('rejects a plain model file with a clear error', async () => {
    const { exportOnnx } = await import('@hubel/io');
    const bytes = await exportOnnx(mlp());
    expect(() => readCheckpoint(bytes, { registry, backend: createCpuBackend(), file: 'plain.onnx' })).toThrowError(HubelError);
    expect(() => readCheckpoint(bytes, { registry, backend: createCpuBackend(), file: 'plain.onnx' })).toThrowError(/plain.onnx: not a Hubel checkpoint/);
  });
});
