import { createCpuBackend } from '@hubel/backend-cpu';
import { HubelError, type Model } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { ablateArchitecture, errorOf, formatAblationTable, formatLesionTable, lesionableLayers, lesionBarsSvg, lesionLayer, meanStd } from '@hubel/lab';
import { fashionNet, zoo, zooRegistry, type FashionNetOptions, type ZooEntry } from '@hubel/models';
import { beforeAll, describe, expect, it } from 'vitest';

const registry = zooRegistry();
const backend = createCpuBackend();
const N = 120;
let images: Awaited<ReturnType<typeof loadMnist>>['dataset'];
beforeAll(async () => {
  images = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test', limit: N })).dataset;
});

const small = (o: FashionNetOptions = {}) => fashionNet({ registry, channels: [4, 8], hidden: 16, ...o });

/** Scores [N, 10] of every image, one batch. */
async function scores(m: Model): Promise<Float32Array> {
  const x = backend.tensor(images.x, [N, ...images.inputShape]);
  const y = m.predict(x);
  const s = Float32Array.from(await y.read());
  y.dispose();
  x.dispose();
  return s;
}

function errorFrom(s: Float32Array, k = 10): number {
  let wrong = 0;
  for (let i = 0; i < N; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (s[i * k + j] > s[i * k + best]) best = j;
    if (best !== images.y[i]) wrong++;
  }
  return wrong / N;
}

async function paramValues(m: Model): Promise<Float32Array[]> {
  return Promise.all(m.params().map(async (p) => Float32Array.from(await p.tensor.read())));
}

describe('lesionLayer', () => {
  it('zeroing a score unit equals setting that score to 0 in the intact outputs', async () => {
    const m = small().build({ backend, seed: 5 });
    const intact = await scores(m);
    const r = await lesionLayer(m, images, 'scores', { batchSize: 50 });
    expect(r.units).toBe(10);
    expect(r.baseline).toBeCloseTo(errorFrom(intact), 12);
    for (const l of r.lesions) {
      const s = intact.slice();
      for (let i = 0; i < N; i++) s[i * 10 + l.unit] = 0;
      expect(l.error, `unit ${l.unit}`).toBeCloseTo(errorFrom(s), 12);
      expect(l.damage).toBeCloseTo(l.error - r.baseline, 12);
    }
    m.dispose();
  });

  it('a conv channel lesion equals a model whose producing weights are zeroed by hand, and restores the model', async () => {
    const m = small().build({ backend, seed: 7 });
    const before = await paramValues(m);
    const r = await lesionLayer(m, images, 'conv2', { batchSize: 64 });
    expect(r.params).toEqual(['W']); // conv2 has no bias: batch norm follows it
    expect(r.lesions.map((l) => l.unit).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (let i = 1; i < r.lesions.length; i++) expect(r.lesions[i - 1].damage).toBeGreaterThanOrEqual(r.lesions[i].damage);
    // the model is unchanged afterwards
    const after = await paramValues(m);
    after.forEach((a, i) => expect(a).toEqual(before[i]));
    // by hand: a twin with conv2.W[u] zeroed
    for (const u of [0, 5]) {
      const twin = small().build({ backend, seed: 7 });
      const W = twin.node('conv2').params.W;
      const values = Float32Array.from(await W.read());
      const per = values.length / 8;
      values.fill(0, u * per, (u + 1) * per);
      const src = backend.tensor(values, W.shape);
      backend.ops.assign(W, src);
      src.dispose();
      const hand = errorFrom(await scores(twin));
      expect(r.lesions.find((l) => l.unit === u)!.error).toBeCloseTo(hand, 12);
      twin.dispose();
    }
    m.dispose();
  });

  it('lesions an inference batch norm by zeroing scale and B', async () => {
    const m = small().build({ backend, seed: 2 });
    const r = await lesionLayer(m, images, 'bn1', { units: [1] });
    expect(r.params).toEqual(['scale', 'B']);
    expect(r.lesions).toHaveLength(1);
    expect(r.lesions[0].error).toBeGreaterThanOrEqual(0);
    expect(r.baseline).toBeCloseTo(await errorOf(m, images, N), 12);
    m.dispose();
  });

  it('rejects unknown and weightless layers, listing the ones that can be lesioned', async () => {
    const m = small().build({ backend, seed: 1 });
    expect(lesionableLayers(m)).toEqual(['conv1', 'bn1', 'conv2', 'bn2', 'fc1', 'scores']);
    await expect(lesionLayer(m, images, 'nope')).rejects.toThrow(/unknown layer 'nope'.*conv1, bn1, conv2, bn2, fc1, scores/);
    await expect(lesionLayer(m, images, 'relu1')).rejects.toThrow(HubelError);
    await expect(lesionLayer(m, images, 'relu1')).rejects.toThrow(/no per-unit weights.*conv1/);
    await expect(lesionLayer(m, images, 'conv1', { units: [4] })).rejects.toThrow(/outside \[0, 4\)/);
    m.dispose();
  });

  it('formats a table and a bar chart', async () => {
    const m = small().build({ backend, seed: 1 });
    const r = await lesionLayer(m, images, 'conv1');
    const md = formatLesionTable(r);
    expect(md.split('\n').filter((l) => /^\| \d/.test(l))).toHaveLength(4);
    const svg = lesionBarsSvg(r);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(4);
    m.dispose();
  });
});

describe('zoo variants', () => {
  it('fashion declares no-bn, no-dropout, avgpool, tanh and each builds', () => {
    expect(Object.keys(zoo.fashion.variants ?? {})).toEqual(['no-bn', 'no-dropout', 'avgpool', 'tanh']);
    const types = (o: FashionNetOptions) => small(o).build({ backend, seed: 1 }).nodes.map((n) => n.layer.type);
    expect(types({ batchNorm: false })).not.toContain('BatchNormalization');
    expect(types({ pool: 'average' })).toContain('AveragePool');
    expect(types({ activation: 'tanh' })).not.toContain('Relu');
    expect(types({})).toEqual(['Conv', 'BatchNormalization', 'Relu', 'MaxPool', 'Conv', 'BatchNormalization', 'Relu', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Dropout', 'Gemm']);
  });
});

describe('ablateArchitecture', () => {
  it('trains the full model and each variant per seed, with mean ± std and differences', async () => {
    const train = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'train', limit: 96 })).dataset;
    const runs: string[] = [];
    const r = await ablateArchitecture({
      modelName: 'fashion',
      entry: zoo.fashion as ZooEntry<object>,
      variants: ['no-bn', 'tanh'],
      seeds: [1, 2],
      epochs: 1,
      train,
      validation: images,
      test: images,
      inputShape: [1, 28, 28],
      classes: 10,
      registry,
      backend,
      buildOptions: { channels: [2, 4], hidden: 8 },
      batchSize: 32,
      onRun: (run) => runs.push(`${run.variant}/${run.seed}`),
    });
    expect(runs).toEqual(['full/1', 'full/2', 'no-bn/1', 'no-bn/2', 'tanh/1', 'tanh/2']);
    expect(r.rows.map((row) => row.variant)).toEqual(['full', 'no-bn', 'tanh']);
    for (const row of r.rows) {
      const v = meanStd(row.runs.map((x) => x.valError));
      expect(row.val.mean).toBeCloseTo(v.mean, 12);
      expect(row.val.std).toBeCloseTo(v.std, 12);
      expect(row.dTest).toBeCloseTo(row.test.mean - r.rows[0].test.mean, 12);
      // validation and test are the same images here
      row.runs.forEach((x) => expect(x.valError).toBeCloseTo(x.testError, 12));
    }
    expect(formatAblationTable(r)).toMatch(/\| no-bn \| no batch norm/);
  }, 60_000);

  it('rejects a variant the entry does not declare, and a third-party entry can declare its own', async () => {
    const base = { modelName: 'fashion', seeds: [1], epochs: 1, train: images, inputShape: [1, 28, 28] as const, classes: 10, registry, backend };
    await expect(ablateArchitecture({ ...base, entry: zoo.fashion as ZooEntry<object>, variants: ['no-lrn'] })).rejects.toThrow(/no variant 'no-lrn' \(its variants: no-bn, no-dropout, avgpool, tanh\)/);
    const mine: ZooEntry<FashionNetOptions> = { ...zoo.fashion, variants: { narrow: { description: 'half the channels', options: { channels: [1, 2] } } } };
    const r = await ablateArchitecture({ ...base, modelName: 'mine', entry: mine as ZooEntry<object>, variants: ['narrow'], train: images, buildOptions: { channels: [2, 4], hidden: 8 } });
    expect(r.rows[1].runs[0].params).toBeLessThan(r.rows[0].runs[0].params);
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: Math.SQRT2 });
  }, 60_000);
});
