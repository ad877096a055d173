// Frozen parameters (the builder's `frozen` node option, trainable: false): a Gabor bank as a
// fixed first layer stays bitwise unchanged through training with every optimizer setting,
// while the layers after it learn; frozen parameters get no gradient and no optimizer slots,
// survive a checkpoint, and `hubel inspect` names them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { Adam, ArrayDataset, GraphBuilder, Registry, Rng, Sgd, Trainer, type Model, type Optimizer } from '@hubel/core';
import { loadCheckpoint, saveCheckpoint, saveOnnx } from '@hubel/io';
import { activationLayers, Relu } from '@hubel/layers-activation';
import { Conv, convLayers, gaborBank } from '@hubel/layers-conv';
import { denseLayers, Flatten, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

const registry = new Registry().use(cpuBackend, convLayers, activationLayers, denseLayers, lossLayers);

/** 12×12 images → Gabor conv 7×7 (4 orientations × 2 scales, frozen as asked) → ReLU → 3 scores. */
function gaborNet(frozen: boolean | readonly string[], seed = 1): Model {
  const g = new GraphBuilder({ registry });
  let v = g.input('input', [null, 1, 12, 12]);
  v = g.add(Conv, { outChannels: 8, kernelShape: [7, 7], init: 'gabor', gaborOrientations: 4, gaborScales: 2 }, v, { name: 'gabor', frozen });
  v = g.add(Relu, {}, v, { name: 'relu' });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  g.output(g.add(Linear, { outFeatures: 3 }, v, { name: 'scores' }));
  return g.build({ backend: createCpuBackend(), seed });
}

/** 24 random images with 3 labels, seeded. */
function data(seed: number): ArrayDataset {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: 24 * 144 }, () => rng.range(0, 1));
  const y = Int32Array.from({ length: 24 }, (_, i) => i % 3);
  return new ArrayDataset(x, [1, 12, 12], y, [], 3);
}

const bytes = async (m: Model, key: string) => {
  const [node, p] = key.split('.');
  const v = await m.node(node).params[p].read();
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
};

describe('frozen parameters', () => {
  const optimizers: [string, () => Optimizer][] = [
    ['SGD', () => new Sgd({ lr: 0.1 })],
    ['SGD, momentum 0.9, Nesterov, weight decay 0.1', () => new Sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 })],
    ['Adam, weight decay 0.1', () => new Adam({ lr: 0.01, weightDecay: 0.1 })],
    ['AdamW (decoupled decay 0.1)', () => new Adam({ lr: 0.01, weightDecay: 0.1, decoupled: true })],
  ];

  it.each(optimizers)('%s, 3 epochs: the frozen Gabor W and B are bitwise unchanged, the classifier changes, no optimizer slots for them', async (_name, make) => {
    const model = gaborNet(true);
    expect(model.frozenParams()).toEqual(['gabor.W', 'gabor.B']);
    expect(model.params().filter((p) => !p.trainable).map((p) => p.key)).toEqual(['gabor.W', 'gabor.B']);
    // The frozen W is the Gabor bank itself (float32 storage).
    const W = await model.node('gabor').params.W.read();
    const bank = gaborBank({ size: 7, orientations: 4, scales: 2 });
    expect(Math.max(...bank.filters.map((v, i) => Math.abs(v - W[i])))).toBeLessThan(1e-7);

    const before = { W: await bytes(model, 'gabor.W'), B: await bytes(model, 'gabor.B'), fc: await bytes(model, 'scores.W') };
    const optimizer = make();
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer, seed: 2 });
    await trainer.fit({ train: data(3), epochs: 3, batchSize: 8 });
    expect(optimizer.stepCount).toBe(9);
    expect(await bytes(model, 'gabor.W')).toEqual(before.W);
    expect(await bytes(model, 'gabor.B')).toEqual(before.B);
    expect(await bytes(model, 'scores.W')).not.toEqual(before.fc);
    const state = await optimizer.exportState();
    expect(Object.keys(state.slots).filter((k) => k.startsWith('gabor.'))).toEqual([]);
    model.dispose();
  });

  it("frozen: ['W'] freezes W only: B trains, and backward returns a gradient for B but none for W", async () => {
    const model = gaborNet(['W']);
    expect(model.frozenParams()).toEqual(['gabor.W']);
    const lossModel = model.withLoss(SoftmaxCrossEntropy);
    const d = data(4);
    const { x, y } = d.batch(Int32Array.from([0, 1, 2, 3]), model.backend);
    const run = lossModel.forward({ input: x, target: y }, { mode: 'train' });
    const grads = run.backward();
    expect([...grads.params.keys()].sort()).toEqual(['gabor.B', 'scores.B', 'scores.W']);
    grads.dispose();
    run.dispose();
    x.dispose();
    y.dispose();
    const W0 = await bytes(model, 'gabor.W');
    const B0 = await bytes(model, 'gabor.B');
    await new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.5, momentum: 0.9 }) }).fit({ train: d, epochs: 2, batchSize: 6 });
    expect(await bytes(model, 'gabor.W')).toEqual(W0);
    expect(await bytes(model, 'gabor.B')).not.toEqual(B0);
    model.dispose();
  });

  it("the node option init replaces a parameter's initializer (constant, function); a name that is not a parameter is an error", async () => {
    const g = new GraphBuilder({ registry });
    let v = g.input('input', [null, 1, 4, 4]);
    v = g.add(Conv, { outChannels: 2, kernelShape: [3, 3] }, v, { name: 'conv', init: { B: { kind: 'constant', value: -0.25 }, W: (shape) => Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i) } });
    const model = g.output(v).build({ backend: createCpuBackend(), seed: 1 });
    expect(Array.from(await model.node('conv').params.B.read())).toEqual([-0.25, -0.25]);
    expect(Array.from(await model.node('conv').params.W.read())).toEqual(Array.from({ length: 18 }, (_, i) => i));
    model.dispose();
    const bad = new GraphBuilder({ registry });
    bad.output(bad.add(Conv, { outChannels: 2, kernelShape: [3, 3], bias: false }, bad.input('input', [null, 1, 4, 4]), { name: 'conv', init: { B: 'zeros' } }));
    expect(() => bad.build({ backend: createCpuBackend() })).toThrow(/node 'conv' \(Conv\): no parameter 'B' to initialize \(its parameters: W\)/);
  });

  it('a name that is not a parameter of the node is an error listing its parameters', () => {
    expect(() => gaborNet(['Weights'])).toThrow(/node 'gabor' \(Conv\): cannot freeze 'Weights', which is not one of its parameters \(W, B\)/);
  });

  it('a checkpoint keeps the parameters frozen, and resumed training leaves them unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubel-frozen-'));
    try {
      const model = gaborNet(true);
      const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.01 }) });
      await trainer.fit({ train: data(5), epochs: 1, batchSize: 8 });
      const file = join(dir, 'checkpoint.onnx');
      await saveCheckpoint(file, model, await trainer.state());
      const W0 = await bytes(model, 'gabor.W');
      model.dispose();
      const { model: back, state } = await loadCheckpoint(file, { registry, backend: createCpuBackend() });
      expect(back.frozenParams()).toEqual(['gabor.W', 'gabor.B']);
      const again = new Trainer({ model: back, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.01 }) });
      await again.fit({ train: data(5), epochs: 3, batchSize: 8, resume: state });
      expect(await bytes(back, 'gabor.W')).toEqual(W0);
      back.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hubel inspect names the frozen parameters, from the file and from the imported model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubel-frozen-'));
    try {
      const model = gaborNet(true);
      const file = join(dir, 'gabor.onnx');
      await saveOnnx(file, model);
      model.dispose();
      const r = await hubel(['inspect', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("frozen (initializers Hubel does not train, from 'hubel.frozen'): gabor.W, gabor.B");
      // 8·1·7·7 weights + 8 biases are frozen; the classifier's 3·8·6·6 + 3 are trained.
      expect(r.stdout).toContain('frozen parameters (trainable: false, not updated by training): gabor.W, gabor.B (400 scalars)');
      expect(r.stdout).toContain('total trainable parameters: 867');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
