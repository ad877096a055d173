import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, MetricsLog, Rng, Sgd, Trainer, type Backend } from '@hubel/core';
import { UnitStats, type UnitStatsRecord } from '@hubel/lab';
import { mlp, zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';

const registry = zooRegistry();
const loss = registry.layer('', 'SoftmaxCrossEntropyLoss');
const seed = 13;
const lr = 0.1;

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

function setup(backend: Backend) {
  const model = mlp({ registry, inputShape: [1, 4, 4], classes: 3, hidden: [8] }).build({ backend, seed });
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: 12 * 16 }, () => rng.normal());
  const y = Int32Array.from({ length: 12 }, (_, i) => i % 3);
  return { model, data: new ArrayDataset(x, [1, 4, 4], y, [], 3) };
}

/** Trains 2 epochs of one full-batch plain-SGD step each, with MetricsLog and UnitStats writing to one list of lines. */
async function train(backend: Backend) {
  const { model, data } = setup(backend);
  // The first step's gradient and weights, computed directly before training.
  const { x, y } = data.batch(Int32Array.from({ length: 12 }, (_, i) => i), backend);
  const run = model.withLoss(loss).forward({ input: x, target: y }, { mode: 'train' });
  const grads = run.backward();
  const g0 = new Map<string, Float32Array>();
  const w0 = new Map<string, Float32Array>();
  for (const p of model.params()) {
    g0.set(p.key, (await grads.params.get(p.key)!.read()) as Float32Array);
    w0.set(p.key, (await p.tensor.read()) as Float32Array);
  }
  grads.dispose();
  run.dispose();
  x.dispose();
  y.dispose();
  const lines: string[] = [];
  const sink = (line: string) => void lines.push(line);
  const stats = new UnitStats({ probe: data, log: sink });
  const live = backend.stats().liveTensors;
  const trainer = new Trainer({ model, loss, optimizer: new Sgd({ lr }), seed, plugins: [new MetricsLog(sink), stats] });
  await trainer.fit({ train: data, epochs: 2, batchSize: 12, shuffle: false });
  const w2 = new Map<string, Float32Array>();
  for (const p of model.params()) w2.set(p.key, (await p.tensor.read()) as Float32Array);
  return { stats, lines, g0, w0, w2, leaked: backend.stats().liveTensors - live };
}

describe('UnitStats', () => {
  it(`plain SGD, one step per epoch: gradient norm, weight norm and update ratio match direct computation; a units line follows each epoch line (seed ${seed})`, async () => {
    const { stats, lines, g0, w0, w2, leaked } = await train(createCpuBackend());
    expect(leaked, 'tensors left behind').toBe(0);
    const records = lines.map((l) => JSON.parse(l) as { type: string } & Partial<UnitStatsRecord>);
    expect(records.map((r) => r.type)).toEqual(['run', 'epoch', 'units', 'epoch', 'units', 'done']);
    expect(records[2].epoch).toBe(0);
    const [first, second] = stats.history;
    expect(first.params.map((p) => p.key)).toEqual(['fc1.W', 'fc1.B', 'scores.W', 'scores.B']);
    for (const p of first.params) {
      const g = g0.get(p.key)!;
      const w = w0.get(p.key)!;
      const w1 = w.map((v, i) => v - lr * g[i]);
      expect(p.steps, p.key).toBe(1);
      expect(p.gradNorm, `${p.key} ‖g‖`).toBeCloseTo(norm(g), 5);
      expect(p.weightNorm, `${p.key} ‖W‖ after epoch 1`).toBeCloseTo(norm(w1), 5);
      // Biases start at zero: their first step has no ratio.
      if (norm(w) === 0) expect(p.updateRatio, `${p.key} ratio`).toBeNaN();
      else expect(p.updateRatio, `${p.key} ‖ΔW‖/‖W‖`).toBeCloseTo(norm(w1.map((v, i) => v - w[i])) / norm(w), 5);
    }
    for (const p of second.params) {
      expect(p.weightNorm, `${p.key} ‖W‖ after epoch 2`).toBeCloseTo(norm(w2.get(p.key)!), 5);
      expect(p.updateRatio, `${p.key} epoch 2 ratio`).toBeGreaterThan(0);
    }
    // NaN is written as null, as MetricsLog does.
    expect(JSON.parse(lines[2]).params[1].updateRatio).toBeNull();
    expect(first.probeImages).toBe(12);
    expect(first.layers.map((l) => l.value)).toEqual(['flatten', 'fc1', 'relu1', 'scores']);
    expect(records[2].layers![2]).toMatchObject({ value: 'relu1', op: 'Relu', units: 8, rectified: true });
  });

  it('a backend without synchronous reads (device copies read asynchronously) records the same numbers and leaks nothing', async () => {
    const ref = await train(createCpuBackend());
    const backend = createCpuBackend();
    Object.defineProperty(backend, 'peekSync', { value: undefined });
    const other = await train(backend);
    expect(other.leaked).toBe(0);
    ref.stats.history.forEach((rec, e) => {
      rec.params.forEach((p, i) => {
        const q = other.stats.history[e].params[i];
        for (const k of ['gradNorm', 'weightNorm', 'updateRatio'] as const) {
          if (Number.isNaN(p[k])) expect(q[k]).toBeNaN();
          else expect(q[k], `epoch ${e} ${p.key} ${k}`).toBeCloseTo(p[k], 9);
        }
      });
    });
  });
});
