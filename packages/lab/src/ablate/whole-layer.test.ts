// Whole-layer lesions: each layer whose shapes allow identity, taken out of a small trained-like
// model, must give exactly the scores of the same network built without that layer (the same
// parameter values given to both), and lesionWholeLayers' errors must be those models' errors.
import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, GraphBuilder, Rng, type Model } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { formatLesionTable, identityLayers, lesionBarsSvg, lesionLayer, lesionWholeLayers, withoutLayer } from '@hubel/lab';
import { zooRegistry } from '@hubel/models';
import { beforeAll, describe, expect, it } from 'vitest';

const registry = zooRegistry();
const backend = createCpuBackend();
const N = 120;
const L = (type: string) => registry.layer('', type);

/**
 * conv1 (1→4) → bn1 → relu1 → lrn → conv2 (4→4, same shape, bias) → pool1 → flatten → fc1 (→16)
 * → relu2 → dropout → scores (→10), leaving out the layers in `skip`.
 */
function net(skip: ReadonlySet<string> = new Set()): GraphBuilder {
  const g = new GraphBuilder({ registry });
  let v = g.input('input', [null, 1, 28, 28]);
  const add = (name: string, type: string, attrs: Record<string, unknown> = {}) => {
    if (!skip.has(name)) v = g.add(L(type), attrs as never, v, { name });
  };
  add('conv1', 'Conv', { outChannels: 4, kernelShape: [3, 3], pads: [1, 1, 1, 1] });
  add('bn1', 'BatchNormalization');
  add('relu1', 'Relu');
  add('lrn', 'LRN', { size: 3, alpha: 0.5 });
  add('conv2', 'Conv', { outChannels: 4, kernelShape: [3, 3], pads: [1, 1, 1, 1] });
  add('pool1', 'MaxPool', { kernelShape: [2, 2], strides: [2, 2] });
  add('flatten', 'Flatten');
  add('fc1', 'Gemm', { outFeatures: 16 });
  add('relu2', 'Relu');
  add('dropout', 'Dropout', { ratio: 0.5 });
  add('scores', 'Gemm', { outFeatures: 10 });
  g.output(v);
  return g;
}

let x: Float32Array;
let values: Map<string, Float32Array>;
let full: Model;
beforeAll(async () => {
  x = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test', limit: N })).dataset.x as Float32Array;
  // Batch-norm statistics and affine parameters away from the identity (mean 0, var 1, scale 1, B 0),
  // so that removing bn1 changes the scores.
  const r = new Rng(11);
  const init = net().build({ backend, seed: 3 });
  values = new Map(await Promise.all(init.params().map(async (p) => [p.key, Float32Array.from(await p.tensor.read())] as const)));
  init.dispose();
  values.set('bn1.input_mean', Float32Array.from({ length: 4 }, () => 0.3 * r.normal()));
  values.set('bn1.input_var', Float32Array.from({ length: 4 }, () => 0.2 + r.uniform()));
  values.set('bn1.scale', Float32Array.from({ length: 4 }, () => 0.5 + r.uniform()));
  values.set('bn1.B', Float32Array.from({ length: 4 }, () => 0.5 * r.normal()));
  full = net().build({ backend, seed: 3, initialValues: values });
});

/** Scores [N, 10] of the N sample images. */
async function scores(m: Model): Promise<Float32Array> {
  const t = backend.tensor(x, [N, 1, 28, 28]);
  const y = m.predict(t);
  const s = Float32Array.from(await y.read());
  y.dispose();
  t.dispose();
  return s;
}

const argmax = (s: Float32Array) =>
  Int32Array.from({ length: N }, (_, i) => {
    let best = 0;
    for (let j = 1; j < 10; j++) if (s[i * 10 + j] > s[i * 10 + best]) best = j;
    return best;
  });

/** The network built without `layer`, with the same values for every remaining parameter. */
function builtWithout(layer: string): Model {
  const kept = new Map([...values].filter(([k]) => !k.startsWith(`${layer}.`)));
  return net(new Set([layer])).build({ backend, seed: 99, initialValues: kept });
}

const ALLOWED = ['bn1', 'relu1', 'lrn', 'conv2', 'relu2', 'dropout'];

describe('identityLayers', () => {
  it('allows the same-shape layers and refuses the others, naming both shapes', () => {
    const plan = identityLayers(full);
    expect(plan.layers).toEqual(ALLOWED);
    expect(plan.refused).toEqual([
      { layer: 'conv1', op: 'Conv', reason: 'input [N, 1, 28, 28], output [N, 4, 28, 28]' },
      { layer: 'pool1', op: 'MaxPool', reason: 'input [N, 4, 28, 28], output [N, 4, 14, 14]' },
      { layer: 'flatten', op: 'Flatten', reason: 'input [N, 4, 14, 14], output [N, 784]' },
      { layer: 'fc1', op: 'Gemm', reason: 'input [N, 784], output [N, 16]' },
      { layer: 'scores', op: 'Gemm', reason: 'input [N, 16], output [N, 10]' },
    ]);
  });
});

describe('withoutLayer', () => {
  it('gives exactly the scores of the network built without the layer, and leaves the model intact', async () => {
    const intact = await scores(full);
    for (const layer of ALLOWED) {
      const lesioned = withoutLayer(full, layer);
      const reference = builtWithout(layer);
      const got = await scores(lesioned);
      // The same kernels on the same values in the same order: bit-identical, no tolerance needed.
      expect(got, layer).toEqual(await scores(reference));
      // Dropout is the identity in eval mode; every other layer here changes the scores.
      if (layer === 'dropout') expect(got).toEqual(intact);
      else expect(got, layer).not.toEqual(intact);
      lesioned.dispose(); // shares the parameters: frees nothing
      reference.dispose();
    }
    expect(await scores(full)).toEqual(intact);
  });

  it('refuses a layer whose shapes do not allow identity, and an unknown layer', () => {
    expect(() => withoutLayer(full, 'pool1')).toThrow(/layer 'pool1' \(MaxPool\) cannot be replaced by identity: input \[N, 4, 28, 28\], output \[N, 4, 14, 14\]/);
    expect(() => withoutLayer(full, 'nope')).toThrow(/unknown layer 'nope' \(layers that can be replaced by identity: bn1, relu1, lrn, conv2, relu2, dropout\)/);
  });
});

describe('lesionWholeLayers', () => {
  it("measures each layer's removal: the errors of the networks built without it, sorted by damage", async () => {
    // Labels: the intact model's own predictions, so its error is 0 and a lesion's error is the
    // fraction of predictions it changes.
    const labels = argmax(await scores(full));
    const data = new ArrayDataset(x, [1, 28, 28], labels, [], 10);
    const progress: number[] = [];
    const r = await lesionWholeLayers(full, data, { batchSize: 50, onLayer: (d) => progress.push(d) });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.examples).toBe(N);
    expect(r.baseline).toBe(0);
    expect(r.lesions.map((l) => l.layer).sort()).toEqual([...ALLOWED].sort());
    expect(r.refused.map((l) => l.layer)).toEqual(['conv1', 'pool1', 'flatten', 'fc1', 'scores']);
    for (const l of r.lesions) {
      const reference = builtWithout(l.layer);
      const predicted = argmax(await scores(reference));
      reference.dispose();
      const changed = predicted.reduce((n, p, i) => n + (p !== labels[i] ? 1 : 0), 0);
      expect(l.error, l.layer).toBe(changed / N);
      expect(l.damage).toBe(l.error);
    }
    for (let i = 1; i < r.lesions.length; i++) expect(r.lesions[i - 1].damage).toBeGreaterThanOrEqual(r.lesions[i].damage);
    expect(r.lesions.find((l) => l.layer === 'dropout')!.damage).toBe(0);
    expect(r.lesions[0].damage).toBeGreaterThan(0);

    // One table and one chart with the unit lesions of conv2 (4 units) and the 6 layers.
    const units = await lesionLayer(full, data, 'conv2', { batchSize: 50 });
    const md = formatLesionTable({ units, layers: r });
    const rows = md.split('\n').filter((line) => /^\| \d/.test(line));
    expect(rows).toHaveLength(4 + 6);
    const damages = rows.map((row) => Number(row.split('|')[4].trim().replace('−', '-')));
    for (let i = 1; i < damages.length; i++) expect(damages[i - 1]).toBeGreaterThanOrEqual(damages[i]);
    expect(md).toContain('| conv2 (Conv) → identity |');
    expect(md).toMatch(/\| conv2 unit \d \|/);
    expect(md).toContain('- pool1 (MaxPool): input [N, 4, 28, 28], output [N, 4, 14, 14]');
    const svg = lesionBarsSvg({ units, layers: r });
    expect(svg.match(/<rect /g)).toHaveLength(10);
    expect(svg.match(/<title>layer /g)).toHaveLength(6);
    await expect(lesionWholeLayers(full, data, { layers: ['flatten'] })).rejects.toThrow(/'flatten' \(Flatten\) cannot be replaced by identity/);
  });
});
