import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, GraphBuilder, HubelError, Registry, Rng, defineKernel, defineLayer, definePlugin, type Model } from '@hubel/core';
import { BatchNormalization, BatchNormFinalizer, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

// Third-party layers the finalizer has never heard of, placed between the batch norms.
const Softsign = defineLayer({ domain: 'com.example', type: 'Softsign', attrs: {}, inferShapes: (_a, [x]) => [[...x]] });
const softsignCpu = defineKernel(Softsign, 'cpu', {
  forward({ backend, inputs: [x] }) {
    const y = backend.alloc(x.shape);
    const xs = backend.data(x), ys = backend.data(y);
    for (let i = 0; i < xs.length; i++) ys[i] = xs[i] / (1 + Math.abs(xs[i]));
    return { outputs: [y] };
  },
});
const Add2 = defineLayer({ domain: 'com.example', type: 'Add2', attrs: {}, inputs: ['A', 'B'], inferShapes: (_a, [a]) => [[...a]] });
const add2Cpu = defineKernel(Add2, 'cpu', {
  forward({ backend, inputs: [a, b] }) {
    return { outputs: [backend.ops.add(a, b)] };
  },
});
const example = definePlugin({ name: 'com.example', layers: [Softsign, Add2], kernels: [softsignCpu, add2Cpu] });
const registry = new Registry().use(cpuBackend, normLayers, example);

const softsign = (v: number) => v / (1 + Math.abs(v));

/** Per-channel population mean and variance of rows of `values` viewed as [N, C, S], two-pass, float64. */
function population(values: readonly number[], n: number, c: number, s: number) {
  const mean = new Array<number>(c).fill(0);
  const variance = new Array<number>(c).fill(0);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < s; j++) mean[ch] += values[(i * c + ch) * s + j];
    mean[ch] /= n * s;
    for (let i = 0; i < n; i++) for (let j = 0; j < s; j++) variance[ch] += (values[(i * c + ch) * s + j] - mean[ch]) ** 2;
    variance[ch] /= n * s;
  }
  return { mean, variance };
}

/** Eval-mode batch norm written out: γ(x − μ)/√(σ² + ε) + β per channel. */
function bnEval(values: readonly number[], n: number, c: number, s: number, st: { mean: number[]; variance: number[] }, gamma: number[], beta: number[], eps = 1e-5): number[] {
  return values.map((v, i) => {
    const ch = Math.floor(i / s) % c;
    return (gamma[ch] * (v - st.mean[ch])) / Math.sqrt(st.variance[ch] + eps) + beta[ch];
  });
}

async function stored(model: Model, node: string) {
  const p = model.node(node).params;
  return { mean: Array.from(await p.input_mean.read()), variance: Array.from(await p.input_var.read()) };
}

// Float64 everywhere; the finalizer merges per-batch moments (Chan et al.) where the test sums
// once: both are within ~1e-15 relative of the exact value for these 50–150 terms of size < 10.
function expectClose(got: readonly number[], want: readonly number[], what: string) {
  want.forEach((v, i) => expect(Math.abs(got[i] - v), `${what}[${i}]: got ${got[i]}, want ${v}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))));
}

describe('BatchNormFinalizer', () => {
  /**
   *   input ─ bnA ─ Softsign ─ bnB ─┐
   *     └──── Softsign ─ bnC ───────┴─ Add2 ─ bnD
   */
  function dagModel() {
    const g = new GraphBuilder({ registry });
    g.input('input', [null, 3]);
    const a = g.add(BatchNormalization, undefined, 'input', { name: 'bnA' });
    const b = g.add(BatchNormalization, undefined, g.add(Softsign, {}, a, { name: 's1' }), { name: 'bnB' });
    const c = g.add(BatchNormalization, undefined, g.add(Softsign, {}, 'input', { name: 's2' }), { name: 'bnC' });
    g.output(g.add(BatchNormalization, undefined, g.add(Add2, {}, [b, c], { name: 'sum' }), { name: 'bnD' }));
    return g.build({
      backend: createCpuBackend({ dtype: 'float64' }),
      initialValues: {
        'bnA.scale': [2, -1, 0.5], 'bnA.B': [0.3, 0, -1],
        'bnB.scale': [1.5, 1, -2], 'bnB.B': [0, 0.5, 0.1],
        'bnC.scale': [0.7, 3, 1], 'bnC.B': [-0.2, 0.2, 0],
      },
    });
  }

  function data(seed: number, n: number, shape: readonly number[]) {
    const r = new Rng(seed);
    const per = shape.reduce((a, b) => a * b, 1);
    const x = Float64Array.from({ length: n * per }, (_, i) => 3 * (i % shape[0]) - 2 + (1 + (i % shape[0])) * r.normal());
    return new ArrayDataset(x, shape, new Int32Array(n), [], 1);
  }

  it('stores the exact population statistics of each node\'s input over the whole training set, upstream nodes finalized first (seed 50)', async () => {
    const model = dagModel();
    const train = data(50, 50, [3]);
    const finalizer = new BatchNormFinalizer();
    // 50 examples in batches of 16: the last batch is short.
    await finalizer.finalize(model, train, 16);

    const x = Array.from(train.x);
    const stA = population(x, 50, 3, 1);
    const sC = x.map(softsign);
    const stC = population(sC, 50, 3, 1);
    const sB = bnEval(x, 50, 3, 1, stA, [2, -1, 0.5], [0.3, 0, -1]).map(softsign);
    const stB = population(sB, 50, 3, 1);
    const sum = bnEval(sB, 50, 3, 1, stB, [1.5, 1, -2], [0, 0.5, 0.1]).map((v, i) => v + bnEval(sC, 50, 3, 1, stC, [0.7, 3, 1], [-0.2, 0.2, 0])[i]);
    const stD = population(sum, 50, 3, 1);
    for (const [node, want] of [['bnA', stA], ['bnB', stB], ['bnC', stC], ['bnD', stD]] as const) {
      const got = await stored(model, node);
      expectClose(got.mean, want.mean, `${node} mean`);
      expectClose(got.variance, want.variance, `${node} variance`);
    }
    // Waves: bnA and bnC have no batch-norm ancestor, bnB waits for bnA, bnD for both branches.
    expect(finalizer.last.map((s) => s.node)).toEqual(['bnA', 'bnC', 'bnB', 'bnD']);
    expect(finalizer.last.every((s) => s.count === 50)).toBe(true);
    model.dispose();
  });

  it('gives the same statistics whatever the batch size of the pass (1, 7, all 50)', async () => {
    const train = data(51, 50, [3]);
    const results = [];
    for (const batch of [1, 7, 50]) {
      const model = dagModel();
      await new BatchNormFinalizer().finalize(model, train, batch);
      results.push(await stored(model, 'bnD'));
      model.dispose();
    }
    expectClose(results[0].variance, results[2].variance, 'batch 1 vs 50');
    expectClose(results[1].variance, results[2].variance, 'batch 7 vs 50');
    expectClose(results[1].mean, results[2].mean, 'batch 7 vs 50 mean');
  });

  it('takes per-channel statistics over examples × H × W on conv feature maps, and `unbiased` scales the variance by M/(M−1) (seed 52)', async () => {
    const build = () => {
      const g = new GraphBuilder({ registry });
      g.input('input', [null, 2, 3, 3]);
      const a = g.add(BatchNormalization, undefined, 'input', { name: 'bn1' });
      g.output(g.add(BatchNormalization, undefined, g.add(Softsign, {}, a), { name: 'bn2' }));
      return g.build({ backend: createCpuBackend({ dtype: 'float64' }), initialValues: { 'bn1.scale': [1.5, 0.5], 'bn1.B': [1, -1] } });
    };
    const train = data(52, 20, [2, 3, 3]);
    const x = Array.from(train.x);
    const st1 = population(x, 20, 2, 9);
    const st2 = population(bnEval(x, 20, 2, 9, st1, [1.5, 0.5], [1, -1]).map(softsign), 20, 2, 9);

    const biased = build();
    await new BatchNormFinalizer().finalize(biased, train, 6);
    expectClose((await stored(biased, 'bn1')).variance, st1.variance, 'bn1 variance');
    expectClose((await stored(biased, 'bn2')).mean, st2.mean, 'bn2 mean');
    expectClose((await stored(biased, 'bn2')).variance, st2.variance, 'bn2 variance');

    // M = 20 examples × 9 positions = 180 values per channel. bn2's input depends on bn1's mean
    // and variance, so with the unbiased variance in bn1 it sees (slightly) different values.
    const unbiased = build();
    const f = new BatchNormFinalizer({ unbiased: true });
    await f.finalize(unbiased, train, 6);
    expect(f.last[0].count).toBe(180);
    expectClose((await stored(unbiased, 'bn1')).variance, st1.variance.map((v) => (v * 180) / 179), 'bn1 unbiased variance');
    expectClose((await stored(unbiased, 'bn1')).mean, st1.mean, 'bn1 mean');
    biased.dispose();
    unbiased.dispose();
  });

  it('rejects a model with two graph inputs, naming them', async () => {
    const g = new GraphBuilder({ registry });
    g.input('a', [null, 2]);
    g.input('b', [null, 2]);
    g.output(g.add(BatchNormalization, undefined, g.add(Add2, {}, ['a', 'b'])));
    const model = g.build({ backend: createCpuBackend() });
    await expect(new BatchNormFinalizer().finalize(model, data(1, 4, [2]), 2)).rejects.toThrowError(HubelError);
    await expect(new BatchNormFinalizer().finalize(model, data(1, 4, [2]), 2)).rejects.toThrowError(/one graph input.*found 2: a, b/);
    expect(() => new BatchNormFinalizer({ batchSize: 0 })).toThrowError(/batchSize must be a positive integer, found 0/);
    model.dispose();
  });
});
