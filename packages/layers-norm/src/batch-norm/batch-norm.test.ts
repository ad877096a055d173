import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { checkModelGradients, gradcheckPlugin } from '@hubel/core/testing';
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

describe('BatchNormalization with trainingMode (ONNX training graph): outputs running_mean and running_var', () => {
  const shape = [3, 2, 2, 2];
  const flat = [3, 2, 4];
  const scale = [1.5, -0.5];
  const bias = [0.1, 0.2];
  const runMean = [0.5, -1];
  const runVar = [2, 0.5];
  const eps = 1e-3;
  const momentum = 0.7;
  /** x → BatchNormalization(trainingMode) with all three outputs bound; graph outputs as asked. */
  const build = (outputs: readonly ('y' | 'rm' | 'rv')[], trainingMode = true) => {
    const g = new GraphBuilder({ registry });
    const x = g.input('x', shape);
    g.node(BatchNormalization, { epsilon: eps, momentum, trainingMode }, x, { name: 'bn', outputs: ['y', 'rm', 'rv'] });
    g.output(...outputs);
    return g.build({
      backend: createCpuBackend({ dtype: 'float64' }),
      initialValues: { 'bn.scale': scale, 'bn.B': bias, 'bn.input_mean': runMean, 'bn.input_var': runVar },
    });
  };

  it('an eval run uses batch statistics and returns input·momentum + batch·(1 − momentum), leaving the parameters as they were (seed 21)', async () => {
    const model = build(['y', 'rm', 'rv']);
    const x = draw(21, 24, 2, 0.5);
    const xt = model.backend.tensor(x, shape);
    const run = model.forward({ x: xt }, { mode: 'eval' });
    const { mean, variance } = channelStats(x, flat);
    // Same float64 formulas up to summation order: ~1e-15 relative, 1e-12 absolute is ample for |values| < 10.
    const y = Array.from(await run.get('y').read());
    normalize(x, flat, mean, variance, scale, bias, eps).forEach((v, i) => expect(y[i]).toBeCloseTo(v, 12));
    const rm = Array.from(await run.get('rm').read());
    const rv = Array.from(await run.get('rv').read());
    runMean.forEach((r, c) => expect(rm[c]).toBeCloseTo(r * momentum + mean[c] * (1 - momentum), 12));
    runVar.forEach((r, c) => expect(rv[c]).toBeCloseTo(r * momentum + variance[c] * (1 - momentum), 12));
    run.dispose();
    expect(Array.from(await model.node('bn').params.input_mean.read())).toEqual(runMean);
    expect(Array.from(await model.node('bn').params.input_var.read())).toEqual(runVar);
    xt.dispose();
    model.dispose();
  });

  it('a train run returns the same statistics it stores in input_mean/input_var (seed 22)', async () => {
    const model = build(['y', 'rm', 'rv']);
    const x = draw(22, 24);
    const xt = model.backend.tensor(x, shape);
    const run = model.forward({ x: xt }, { mode: 'train' });
    const { mean, variance } = channelStats(x, flat);
    const rm = Array.from(await run.get('rm').read());
    const rv = Array.from(await run.get('rv').read());
    // Separate tensors with equal values: the outputs outlive the run's replacement of the parameters.
    run.dispose();
    expect(Array.from(await model.node('bn').params.input_mean.read())).toEqual(rm);
    expect(Array.from(await model.node('bn').params.input_var.read())).toEqual(rv);
    // 1e-12: as above.
    runMean.forEach((r, c) => expect(rm[c]).toBeCloseTo(r * momentum + mean[c] * (1 - momentum), 12));
    runVar.forEach((r, c) => expect(rv[c]).toBeCloseTo(r * momentum + variance[c] * (1 - momentum), 12));
    xt.dispose();
    model.dispose();
  });

  // Finite differences in an eval run: a train run would move input_mean/input_var between the
  // perturbed forwards, and running_mean reads them. Default tolerance 1e-6 (float64, ε = 1e-6,
  // see GradCheckOptions), seed fixed by the checker and printed in its summary.
  it('finite differences through all three outputs: dx (batch statistics + running terms), dscale, dB', async () => {
    const model = build(['y', 'rm', 'rv']);
    const report = await checkModelGradients(model, { feeds: { x: { shape, values: Float64Array.from(draw(23, 24)) } }, differentiate: ['x'] }, { mode: 'eval', seed: 23 });
    expect(report.ok, report.summary).toBe(true);
    model.dispose();
  });

  it('finite differences through running_mean and running_var alone: dx = (1−m)/M·dμ + 2(1−m)/M·(x − μ)·dσ²', async () => {
    const model = build(['rm', 'rv']);
    const report = await checkModelGradients(model, { feeds: { x: { shape, values: Float64Array.from(draw(24, 24, 3)) } }, differentiate: ['x'] }, { mode: 'eval', seed: 24 });
    expect(report.ok, report.summary).toBe(true);
    model.dispose();
  });

  it('dx from running_mean/running_var seeds alone matches (1−m)/M·dμ_c + 2(1−m)/M·(x − μ_c)·dσ²_c (seed 26)', async () => {
    const model = build(['rm', 'rv']);
    const x = draw(26, 24, 2);
    const xt = model.backend.tensor(x, shape);
    const dRm = [0.7, -1.3];
    const dRv = [-0.4, 2.1];
    const run = model.forward({ x: xt }, { mode: 'eval', forBackward: true });
    const seeds = { rm: model.backend.tensor(dRm, [2]), rv: model.backend.tensor(dRv, [2]) };
    const g = run.backward({ seeds, inputs: ['x'] });
    const dx = Array.from(await g.inputs.get('x')!.read());
    const { mean } = channelStats(x, flat);
    const m = flat[0] * flat[2];
    for (let i = 0; i < flat[0]; i++) for (let c = 0; c < 2; c++) for (let j = 0; j < flat[2]; j++) {
      const k = (i * 2 + c) * flat[2] + j;
      // Same float64 terms in another order: ~1e-16 absolute at these magnitudes; 1e-12 is ample.
      expect(dx[k]).toBeCloseTo(((1 - momentum) / m) * (dRm[c] + 2 * (x[k] - mean[c]) * dRv[c]), 12);
    }
    g.dispose();
    Object.values(seeds).forEach((t) => t.dispose());
    run.dispose();
    xt.dispose();
    model.dispose();
  });

  it('rejects running_mean/running_var outputs on a node without trainingMode, naming the node and the attribute', () => {
    const model = build(['y', 'rm'], false);
    const xt = model.backend.tensor(draw(25, 24), shape);
    expect(() => model.forward({ x: xt }, { mode: 'eval' })).toThrowError(
      /node 'bn' \(BatchNormalization\): outputs running_mean\/running_var are bound, which needs attribute 'trainingMode': expected true, found false/,
    );
    xt.dispose();
    model.dispose();
  });
});
