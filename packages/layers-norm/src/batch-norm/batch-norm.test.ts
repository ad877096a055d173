import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { BatchNormalization, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, normLayers);

describe('BatchNormalization: finite differences (float64), training mode through the batch statistics', () => {
  gradcheckPlugin({ ...normLayers, cases: normLayers.cases.filter((c) => c.layer === BatchNormalization) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

function draw(seed: number, n: number, scale = 1, offset = 0): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => offset + scale * r.normal());
}

/** Naive reference over x viewed as [N, C, S]: per-channel mean and biased variance. */
function channelStats(x: readonly number[], [n, c, s]: readonly number[]) {
  const mean = new Array<number>(c).fill(0);
  const variance = new Array<number>(c).fill(0);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < s; j++) mean[ch] += x[(i * c + ch) * s + j];
    mean[ch] /= n * s;
    for (let i = 0; i < n; i++) for (let j = 0; j < s; j++) variance[ch] += (x[(i * c + ch) * s + j] - mean[ch]) ** 2;
    variance[ch] /= n * s;
  }
  return { mean, variance };
}

function normalize(x: readonly number[], [n, c, s]: readonly number[], mean: readonly number[], variance: readonly number[], scale: readonly number[], bias: readonly number[], eps: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let j = 0; j < s; j++) {
    y.push((scale[ch] * (x[(i * c + ch) * s + j] - mean[ch])) / Math.sqrt(variance[ch] + eps) + bias[ch]);
  }
  return y;
}

describe('BatchNormalization', () => {
  const shape = [4, 3, 2, 2];
  const flat = [4, 3, 4];
  const scale = [1.5, -0.5, 2];
  const bias = [0.1, 0.2, -0.3];
  const runMean = [0.5, -1, 2];
  const runVar = [2, 0.5, 3];
  const eps = 1e-3;
  const build = () =>
    new Sequential([null, 3, 2, 2], { registry }).add(BatchNormalization, { epsilon: eps, momentum: 0.8 }, 'bn').build({
      backend: createCpuBackend({ dtype: 'float64' }),
      initialValues: { 'bn.scale': scale, 'bn.B': bias, 'bn.input_mean': runMean, 'bn.input_var': runVar },
    });

  it('train mode normalizes with the batch mean and biased variance; eval mode with the stored statistics (seed 11)', async () => {
    const model = build();
    const x = draw(11, 48, 3, 1);
    const xt = model.backend.tensor(x, shape);
    const { mean, variance } = channelStats(x, flat);
    const train = model.forward({ input: xt }, { mode: 'train' });
    const yTrain = Array.from(await train.get('bn').read());
    train.dispose();
    // Same formula, same float64 operations up to ordering: agreement to ~1e-15 relative; 1e-12 absolute is ample for |y| < 10.
    normalize(x, flat, mean, variance, scale, bias, eps).forEach((v, i) => expect(yTrain[i]).toBeCloseTo(v, 12));
    // Eval reads the running statistics, which the training step has just moved: compute them here.
    const movedMean = runMean.map((r, c) => 0.8 * r + 0.2 * mean[c]);
    const movedVar = runVar.map((r, c) => 0.8 * r + 0.2 * variance[c]);
    const yEval = Array.from(model.predict(xt).readSync());
    normalize(x, flat, movedMean, movedVar, scale, bias, eps).forEach((v, i) => expect(yEval[i]).toBeCloseTo(v, 12));
    // And the two modes really differ on this batch.
    expect(Math.max(...yEval.map((v, i) => Math.abs(v - yTrain[i])))).toBeGreaterThan(0.1);
    xt.dispose();
    model.dispose();
  });

  it('eval mode leaves the running statistics unchanged', async () => {
    const model = build();
    const xt = model.backend.tensor(draw(12, 48), shape);
    model.predict(xt).dispose();
    expect(Array.from(await model.node('bn').params.input_mean.read())).toEqual(runMean);
    expect(Array.from(await model.node('bn').params.input_var.read())).toEqual(runVar);
    xt.dispose();
    model.dispose();
  });

  it('running averages after k = 5 training steps match the closed form m^k·r0 + (1−m)·Σ m^(k−t)·stat_t (seed 13)', async () => {
    const model = build();
    const m = 0.8;
    const batches = [0, 1, 2, 3, 4].map((t) => draw(13 + t, 48, 1 + t, t - 2));
    for (const x of batches) {
      const xt = model.backend.tensor(x, shape);
      model.forward({ input: xt }, { mode: 'train' }).dispose();
      xt.dispose();
    }
    const k = batches.length;
    const stats = batches.map((x) => channelStats(x, flat));
    const closed = (r0: number[], pick: (t: number, c: number) => number) =>
      r0.map((r, c) => m ** k * r + (1 - m) * stats.reduce((s, _, t) => s + m ** (k - 1 - t) * pick(t, c), 0));
    const expectedMean = closed(runMean, (t, c) => stats[t].mean[c]);
    const expectedVar = closed(runVar, (t, c) => stats[t].variance[c]);
    const gotMean = Array.from(await model.node('bn').params.input_mean.read());
    const gotVar = Array.from(await model.node('bn').params.input_var.read());
    // Five float64 blends versus one closed-form sum: rounding ~1e-15 relative on values below 30.
    expectedMean.forEach((v, c) => expect(gotMean[c]).toBeCloseTo(v, 12));
    expectedVar.forEach((v, c) => expect(gotVar[c]).toBeCloseTo(v, 12));
    model.dispose();
  });

  it('training backward matches the closed form dx = γ/√(σ²+ε)·(dy − mean(dy) − x̂·mean(dy·x̂)) on [N, C] (seed 17)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 2], { registry }).add(BatchNormalization, { epsilon: 1e-5 }, 'bn').build({ backend, initialValues: { 'bn.scale': [2, -1], 'bn.B': [0, 0] } });
    const x = draw(17, 10);
    const dy = draw(18, 10);
    const xt = backend.tensor(x, [5, 2]);
    const dyt = backend.tensor(dy, [5, 2]);
    const run = model.forward({ input: xt }, { mode: 'train' });
    const g = run.backward({ seeds: { bn: dyt }, inputs: ['input'] });
    const dx = Array.from(await g.inputs.get('input')!.read());
    const dScale = Array.from(await g.params.get('bn.scale')!.read());
    const dB = Array.from(await g.params.get('bn.B')!.read());
    const { mean, variance } = channelStats(x, [5, 2, 1]);
    for (let c = 0; c < 2; c++) {
      const r = 1 / Math.sqrt(variance[c] + 1e-5);
      const xhat = [0, 1, 2, 3, 4].map((i) => (x[i * 2 + c] - mean[c]) * r);
      const d = [0, 1, 2, 3, 4].map((i) => dy[i * 2 + c]);
      const md = d.reduce((a, b) => a + b) / 5;
      const mdx = d.reduce((a, v, i) => a + v * xhat[i], 0) / 5;
      const gamma = [2, -1][c];
      // Same float64 quantities summed in a different order: ~1e-14 absolute at these magnitudes.
      for (let i = 0; i < 5; i++) expect(dx[i * 2 + c]).toBeCloseTo(gamma * r * (d[i] - md - xhat[i] * mdx), 12);
      expect(dScale[c]).toBeCloseTo(mdx * 5, 12);
      expect(dB[c]).toBeCloseTo(md * 5, 12);
    }
    g.dispose();
    run.dispose();
    model.dispose();
  });

  it('rejects a training batch of one sample on [N, C] input (no batch variance), naming the node and the shape', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 4], { registry }).add(BatchNormalization, undefined, 'bn7').build({ backend });
    const x = backend.tensor([1, 2, 3, 4], [1, 4]);
    expect(() => model.forward({ input: x }, { mode: 'train' })).toThrowError(HubelError);
    expect(() => model.forward({ input: x }, { mode: 'train' })).toThrowError(
      /node 'bn7' \(BatchNormalization\): training mode needs at least 2 values per channel.*found input shape \[1, 4\]/,
    );
    // Eval mode is fine with one sample.
    model.predict(x).dispose();
    x.dispose();
    model.dispose();
  });

  it('rejects a non-positive epsilon and a momentum outside [0, 1], naming the node and the value', () => {
    const build = (attrs: Record<string, number>) => () => new Sequential([null, 4], { registry }).add(BatchNormalization, attrs, 'bn3').build({ backend: createCpuBackend() });
    expect(build({ epsilon: 0 })).toThrowError(/node 'bn3' \(BatchNormalization\): attribute 'epsilon': expected > 0, found 0/);
    expect(build({ epsilon: -1e-5 })).toThrowError(/attribute 'epsilon': expected > 0, found -0.00001/);
    expect(build({ momentum: 1.5 })).toThrowError(/node 'bn3' \(BatchNormalization\): attribute 'momentum': expected <= 1, found 1.5/);
  });

  it('rejects a rank-1 input with an error naming the node', () => {
    expect(() => new Sequential([null], { registry }).add(BatchNormalization, undefined, 'bn1').build({ backend: createCpuBackend() })).toThrowError(
      /node 'bn1' \(BatchNormalization\): expected an input of rank >= 2/,
    );
  });
});
