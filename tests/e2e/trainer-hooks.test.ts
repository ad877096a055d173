// The trainer's hooks fire in the documented order with the documented payloads; plugins
// built on them (early stopping, NaN guard, schedules, logs, progress) do what they say.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import {
  ArrayDataset,
  defineKernel,
  defineLayer,
  definePlugin,
  EarlyStopping,
  HubelError,
  LrSchedule,
  MetricsLog,
  NanGuard,
  ProgressBar,
  Registry,
  Rng,
  Sequential,
  Sgd,
  stepSchedule,
  Trainer,
} from '@hubel/core';
import { activationLayers, Tanh } from '@hubel/layers-activation';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

// y = log(x): NaN for negative inputs, to trip the NaN guard at a known node.
const Log = defineLayer({ domain: 'test', type: 'Log', attrs: {}, inferShapes: (_a, [x]) => [x] });
const logCpu = defineKernel(Log, 'cpu', {
  forward({ backend, inputs: [x] }) {
    const y = backend.alloc(x.shape);
    const xs = backend.data(x), ys = backend.data(y);
    for (let i = 0; i < xs.length; i++) ys[i] = Math.log(xs[i]);
    return { outputs: [y] };
  },
  backward({ backend, inputs: [x], dOutputs: [dy] }) {
    const dx = backend.alloc(x.shape);
    const xs = backend.data(x), d = backend.data(dy), o = backend.data(dx);
    for (let i = 0; i < xs.length; i++) o[i] = d[i] / xs[i];
    return { dInputs: [dx] };
  },
});
const registry = new Registry().use(cpuBackend, denseLayers, activationLayers, lossLayers, definePlugin({ name: 'test-log', layers: [Log], kernels: [logCpu] }));

function blobs(n: number, seed: number): ArrayDataset {
  const r = new Rng(seed);
  const x = new Float32Array(2 * n), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    x[2 * i] = Math.cos((2 * Math.PI * y[i]) / 3) + 0.3 * r.normal();
    x[2 * i + 1] = Math.sin((2 * Math.PI * y[i]) / 3) + 0.3 * r.normal();
  }
  return new ArrayDataset(x, [2], y, [], 3);
}

function mlp(seed = 1) {
  return new Sequential([null, 2], { registry }).add(Linear, { outFeatures: 8 }).add(Tanh).add(Linear, { outFeatures: 3 }).build({ backend: createCpuBackend(), seed });
}

describe('Trainer hooks', () => {
  it('fire in the documented order with their payloads', async () => {
    const events: string[] = [];
    const batches: number[] = [];
    const epochLosses: number[][] = [[], []];
    const trainer = new Trainer({ model: mlp(), loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.1 }), topK: [2] });
    const h = trainer.hooks;
    expect(Object.isFrozen(h)).toBe(true);
    h.runStart.tap('t', (r) => void events.push(`runStart epochs=${r.epochs} batches=${r.batchesPerEpoch} train=${r.trainSize} val=${r.validationSize}`));
    h.learningRate.tap('t', (lr, e) => (events.push(`learningRate ${e.epoch}`), lr));
    h.epochStart.tap('t', (e) => void events.push(`epochStart ${e.epoch} lr=${e.lr}`));
    h.batchEnd.tap('t', (b) => {
      batches.push(b.batch);
      epochLosses[b.epoch].push(b.loss * b.examples);
      expect(b.examples).toBe(b.batch < 2 ? 8 : 4); // 20 examples in batches of 8, 8, 4
      expect(b.step).toBe(b.epoch * 3 + b.batch + 1);
      expect(Number.isFinite(b.loss) && b.examplesPerSecond > 0).toBe(true);
    });
    h.epochEnd.tap('t', (e) => {
      events.push(`epochEnd ${e.epoch}`);
      // The epoch's training loss is the example-weighted mean of its batch losses.
      expect(e.trainLoss).toBeCloseTo(epochLosses[e.epoch].reduce((a, b) => a + b) / 20, 6);
      expect(Number.isFinite(e.valLoss) && e.valError >= 0 && e.valError <= 1).toBe(true);
      expect(e.valTopK[2]).toBeLessThanOrEqual(e.valError);
    });
    h.shouldStop.tap('t', (e) => void events.push(`shouldStop ${e.epoch}`));
    h.finalize.tap('t', (c) => void events.push(`finalize batchSize=${c.batchSize} train=${c.train.length}`));
    h.done.tap('t', (s) => void events.push(`done epochsRun=${s.epochsRun} early=${s.stoppedEarly}`));
    await trainer.fit({ train: blobs(20, 1), validation: blobs(9, 2), epochs: 2, batchSize: 8 });
    expect(events).toEqual([
      'runStart epochs=2 batches=3 train=20 val=9',
      'learningRate 0', 'epochStart 0 lr=0.1', 'epochEnd 0', 'shouldStop 0',
      'learningRate 1', 'epochStart 1 lr=0.1', 'epochEnd 1', 'shouldStop 1',
      'finalize batchSize=8 train=20',
      'done epochsRun=2 early=false',
    ]);
    expect(batches).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('a step schedule sets the learning rate through the learningRate hook', async () => {
    const lrs: number[] = [];
    const opt = new Sgd({ lr: 0.4 });
    const trainer = new Trainer({ model: mlp(), loss: SoftmaxCrossEntropy, optimizer: opt, plugins: [new LrSchedule(stepSchedule(2, 0.5))] });
    trainer.hooks.epochStart.tap('t', (e) => void lrs.push(e.lr));
    await trainer.fit({ train: blobs(10, 1), epochs: 5, batchSize: 10 });
    expect(lrs).toEqual([0.4, 0.4, 0.2, 0.2, 0.1]);
  });

  it('early stopping ends a run whose validation loss stops improving', async () => {
    // lr 1e-9: the weights barely move, so validation loss never improves by minDelta after
    // the first epoch; with patience 2 the run stops after epoch 4 (1 best + 3 waits).
    const trainer = new Trainer({ model: mlp(), loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 1e-9 }), plugins: [new EarlyStopping({ patience: 2, minDelta: 1e-3 })] });
    const s = await trainer.fit({ train: blobs(12, 1), validation: blobs(6, 2), epochs: 50, batchSize: 6 });
    expect(s.stoppedEarly).toBe(true);
    expect(s.stopReason).toBe('shouldStop');
    expect(s.epochsRun).toBe(4);
  });

  it('the NaN guard stops the run naming the layer whose output went bad', async () => {
    const model = new Sequential([null, 2], { registry }).add(Linear, { outFeatures: 4 }, 'fc1').add(Log, undefined, 'log1').add(Linear, { outFeatures: 3 }, 'fc2').build({ backend: createCpuBackend(), seed: 3 });
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.1 }), plugins: [new NanGuard()] });
    const before = Array.from(await model.node('fc2').params.W.read());
    const err = await trainer.fit({ train: blobs(8, 1), epochs: 1, batchSize: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubelError);
    expect((err as HubelError).code).toBe('non-finite');
    expect((err as Error).message).toMatch(/NanGuard: output 0 \('log1'\) of node 'log1' \(test.Log\) has NaN/);
    // Caught in the forward pass, before any update.
    expect(Array.from(await model.node('fc2').params.W.read())).toEqual(before);
  });

  it('MetricsLog writes one JSON record per epoch and ProgressBar prints epoch lines', async () => {
    const lines: string[] = [];
    let text = '';
    const trainer = new Trainer({
      model: mlp(),
      loss: SoftmaxCrossEntropy,
      optimizer: new Sgd({ lr: 0.1 }),
      plugins: [new MetricsLog((l) => void lines.push(l)), new ProgressBar({ write: (s) => (text += s), inPlace: false })],
    });
    await trainer.fit({ train: blobs(16, 1), validation: blobs(8, 2), epochs: 2, batchSize: 4 });
    const records = lines.map((l) => JSON.parse(l));
    expect(records.map((r) => r.type)).toEqual(['run', 'epoch', 'epoch', 'done']);
    expect(records[1]).toMatchObject({ epoch: 0, epochs: 2, lr: 0.1 });
    expect(typeof records[2].valError).toBe('number');
    expect(text).toMatch(/epoch 2\/2: train loss \d+\.\d{4} error \d+\.\d{2}% \| val loss \d+\.\d{4} error/);
    expect(text).toMatch(/epoch 1 \[#+\] 4\/4 loss/);
  });

  it('requestStop ends the run after the current batch without finalizing', async () => {
    const trainer = new Trainer({ model: mlp(), loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.1 }) });
    let finalized = false;
    trainer.hooks.batchEnd.tap('t', (b) => {
      if (b.epoch === 1 && b.batch === 1) trainer.requestStop('SIGINT');
    });
    trainer.hooks.finalize.tap('t', () => void (finalized = true));
    const s = await trainer.fit({ train: blobs(16, 1), epochs: 3, batchSize: 4 });
    expect(s).toMatchObject({ stoppedEarly: true, stopReason: 'SIGINT', epochsRun: 1 });
    expect(finalized).toBe(false);
    expect((await trainer.state()).batchInEpoch).toBe(2);
  });

  it('batchForward gives each training batch\'s run and example indices before backward; a tap returning true takes the batch (no backward, no step)', async () => {
    const model = mlp();
    const train = blobs(20, 1);
    const optimizer = new Sgd({ lr: 0.1 });
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer, seed: 4 });
    const W = model.nodes.find((n) => n.params.W)!.params.W;
    const seen: string[] = [];
    let taken = 0;
    trainer.hooks.batchForward.tapPromise('t', async (b) => {
      seen.push(`${b.epoch}.${b.batch}/${b.batches}`);
      // The run holds the batch's values: its input rows are the training examples at b.indices,
      // and the scores are the model's on them (no dropout: train and eval agree).
      const x = await b.run.get('input').read();
      const ds = train.x as Float32Array;
      b.indices.forEach((ex, i) => expect([x[2 * i], x[2 * i + 1]]).toEqual([ds[2 * ex], ds[2 * ex + 1]]));
      const scores = await b.run.get(model.outputs[0]).read();
      const input = model.backend.tensor(x, [b.indices.length, 2]);
      expect(Array.from(await model.predict(input).read())).toEqual(Array.from(scores));
      input.dispose();
      // Before backward: no step has happened yet in this batch.
      expect(optimizer.stepCount).toBe(b.epoch * 3 + b.batch - taken);
      if (b.epoch === 0 && b.batch < 2) {
        taken++;
        return true;
      }
      return undefined;
    });
    const steps: number[] = [];
    trainer.hooks.batchEnd.tap('t', (b) => void steps.push(b.step));
    const W0 = Array.from(await W.read());
    let afterTaken: number[] = [];
    trainer.hooks.batchEnd.tap('t2', (b) => {
      if (b.epoch === 0 && b.batch === 1) afterTaken = Array.from(W.readSync());
    });
    const s = await trainer.fit({ train, epochs: 2, batchSize: 8 });
    expect(seen).toEqual(['0.0/3', '0.1/3', '0.2/3', '1.0/3', '1.1/3', '1.2/3']);
    // The two taken batches changed nothing and did not count as steps; batchEnd still fired.
    expect(afterTaken).toEqual(W0);
    expect(steps).toEqual([0, 0, 1, 2, 3, 4]);
    expect(optimizer.stepCount).toBe(4);
    expect(Number.isFinite(s.history[0].trainLoss)).toBe(true);
    expect(Array.from(await W.read())).not.toEqual(W0);
  });
});
