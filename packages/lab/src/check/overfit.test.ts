// overfitCheck on a small MLP and random labels (the hardest thing to fit: pure memorization):
// it reaches 0% with a sane learning rate, gets stuck with a broken one and says which way,
// and its error and dead-unit counts agree with a direct computation from the weights.
import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, Rng, Sequential, type Model } from '@hubel/core';
import { zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';
import { formatOverfitSummary, overfitCheck, overfitVerdict, withoutDropout } from '@hubel/lab';

const SEED = 7;
const registry = zooRegistry();
const gemm = registry.layer('', 'Gemm');
const relu = registry.layer('', 'Relu');
const dropout = registry.layer('', 'Dropout');

/** 40 examples of 8 features ~ N(0, 1), labels uniform in 0..2 independent of them. */
function randomData(n = 40): ArrayDataset {
  const r = new Rng(SEED);
  const x = Float32Array.from({ length: n * 8 }, () => r.normal());
  const y = Int32Array.from({ length: n }, () => r.int(3));
  return new ArrayDataset(x, [8], y, [], 3);
}

function mlp(hiddenBias?: number): Model {
  const initialValues = hiddenBias === undefined ? undefined : { 'fc1.B': new Float32Array(32).fill(hiddenBias) };
  return new Sequential([null, 8], { registry })
    .add(gemm, { outFeatures: 32 }, 'fc1')
    .add(relu, {}, 'relu1')
    .add(dropout, { ratio: 0.5 }, 'drop')
    .add(gemm, { outFeatures: 3 }, 'fc2')
    .build({ backend: createCpuBackend(), seed: SEED, initialValues });
}

/** Direct computation from the weights: hidden pre-activations h = W·x + B, scores = W2·relu(h) + B2. */
async function direct(model: Model, data: ArrayDataset): Promise<{ errors: number; dead: number }> {
  const W = await model.node('fc1').params.W.read(), B = await model.node('fc1').params.B.read();
  const W2 = await model.node('fc2').params.W.read(), B2 = await model.node('fc2').params.B.read();
  const active = new Uint8Array(32);
  let errors = 0;
  for (let e = 0; e < data.length; e++) {
    const h = Array.from({ length: 32 }, (_, j) => {
      let s = B[j];
      for (let k = 0; k < 8; k++) s += W[j * 8 + k] * data.x[e * 8 + k];
      if (s > 0) active[j] = 1;
      return Math.max(0, s);
    });
    const scores = Array.from({ length: 3 }, (_, c) => h.reduce((s, v, j) => s + W2[c * 32 + j] * v, B2[c]));
    if (scores.indexOf(Math.max(...scores)) !== data.y[e]) errors++;
  }
  return { errors, dead: active.reduce((s, v) => s + (v ? 0 : 1), 0) };
}

describe(`overfitCheck (seed ${SEED})`, () => {
  it('memorizes 40 randomly labelled examples to 0% error; a direct computation agrees', async () => {
    const data = randomData();
    const model = mlp();
    const r = await overfitCheck(model, data, { lr: 0.01, batchSize: 10, steps: 2000, seed: SEED });
    expect(r.verdict, formatOverfitSummary(r)).toBe('reached');
    expect(r.examples).toBe(40);
    expect(r.finalError).toBe(0);
    expect(r.causes).toEqual([]);
    expect(r.curve[0].step).toBe(0);
    expect(r.curve.at(-1)!.step).toBe(r.steps);
    expect(r.steps % 4).toBe(0); // whole epochs of 40 / 10 steps
    expect(overfitVerdict(r)).toBe(`overfit: reached 0.00% training error on 40 images in ${r.steps} steps`);
    const d = await direct(model, data);
    expect(d.errors).toBe(0);
    expect(r.deadUnits).toEqual([{ node: 'relu1', units: 32, dead: d.dead, fraction: d.dead / 32 }]);
    expect(r.settings.dropoutOff).toEqual(['drop']);
  });

  it('uses only the first `limit` examples', async () => {
    const r = await overfitCheck(mlp(), randomData(), { limit: 12, lr: 0.01, batchSize: 4, steps: 600, seed: SEED });
    expect(r.examples).toBe(12);
    expect(r.verdict).toBe('reached');
  });

  it('learning rate 1e-7: stuck, "learning rate too low", the loss barely moved', async () => {
    const r = await overfitCheck(mlp(), randomData(), { lr: 1e-7, batchSize: 10, steps: 40, seed: SEED });
    expect(r.verdict).toBe('stuck');
    expect(r.steps).toBe(40);
    expect(overfitVerdict(r)).toBe(`overfit: stuck at ${(100 * r.finalError).toFixed(2)}% after 40 steps`);
    expect(r.causes[0]).toMatch(/^learning rate too low: the training loss barely moved/);
    expect(Math.abs(r.curve.at(-1)!.loss - r.curve[0].loss)).toBeLessThan(0.05 * r.curve[0].loss);
  });

  it('learning rate 50 with Adam: stuck, "learning rate too high"', async () => {
    const r = await overfitCheck(mlp(), randomData(), { lr: 50, batchSize: 10, steps: 40, seed: SEED });
    expect(r.verdict).toBe('stuck');
    expect(r.causes.join('\n')).toMatch(/^learning rate too high/m);
  });

  it('hidden biases of −100: every unit dead from the start, named as the cause', async () => {
    const model = mlp(-100);
    const r = await overfitCheck(model, randomData(), { lr: 1e-3, batchSize: 10, steps: 20, seed: SEED });
    expect(r.verdict).toBe('stuck');
    expect(r.deadUnitsAtStart).toEqual([{ node: 'relu1', units: 32, dead: 32, fraction: 1 }]);
    expect(r.deadUnits[0].dead).toBe((await direct(model, randomData())).dead);
    expect(r.causes).toHaveLength(1);
    expect(r.causes[0]).toMatch(/^dead units from the start: relu1 32 of 32 never active on the 40 images before training \(32 after\); check the initialization/);
  });

  it('rejects bad options and data without class labels', async () => {
    await expect(overfitCheck(mlp(), randomData(), { limit: 0 })).rejects.toThrow(/limit must be a positive integer, found 0/);
    await expect(overfitCheck(mlp(), randomData(), { lr: -1 })).rejects.toThrow(/learning rate must be positive/);
    const regression = new ArrayDataset(new Float32Array(16), [8], new Float32Array(2), []);
    await expect(overfitCheck(mlp(), regression)).rejects.toThrow(/class labels/);
  });
});

describe('withoutDropout', () => {
  it('a view with every Dropout at ratio 0, sharing parameters; the model keeps its own ratio', () => {
    const model = mlp();
    const { view, dropoutOff } = withoutDropout(model);
    expect(dropoutOff).toEqual(['drop']);
    expect(view.node('drop').attrs.ratio).toBe(0);
    expect(model.node('drop').attrs.ratio).toBe(0.5);
    expect(view.node('fc1').params.W).toBe(model.node('fc1').params.W);
    expect(view.hooks).toBe(model.hooks);
  });
});
