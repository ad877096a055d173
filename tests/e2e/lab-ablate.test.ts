// `hubel ablate` end to end on the bundled sample: the Fashion-MNIST convnet trained for one
// epoch with `hubel train`, then lesioned channel by channel (the table's errors checked against
// the same .onnx loaded independently with one conv1 channel's weights zeroed by hand and its
// scores scored here); an architecture ablation on a tiny budget; the errors with exit codes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { decodeModel, encodeModel, loadOnnx } from '@hubel/io';
import { zooRegistry } from '@hubel/models';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel, sampleSplit } from './cli-helpers.js';
import { writeTwinData, type TwinData } from './sample-folder.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubel-ablate-'));
  const r = await hubel(['train', '--epochs', '1', '--limit', '400', '--batch', '32', '--out', join(dir, 'run')]);
  expect(r.code, r.stderr).toBe(0);
  model = join(dir, 'run', 'model.onnx');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Top-1 error of `model.onnx` with conv1's output channel `u` zeroed by hand (its weights; conv1 has no bias). */
async function handLesion(u: number, limit: number): Promise<number> {
  const backend = createCpuBackend();
  const m = await loadOnnx(model, { registry: zooRegistry(), backend });
  const W = m.node('conv1').params.W;
  const values = Float32Array.from(await W.read());
  const per = values.length / W.shape[0];
  values.fill(0, u * per, (u + 1) * per);
  const src = backend.tensor(values, W.shape);
  backend.ops.assign(W, src);
  src.dispose();
  const test = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test', limit })).dataset;
  const x = backend.tensor(test.x, [limit, ...test.inputShape]);
  const y = m.predict(x);
  const s = await y.read();
  let wrong = 0;
  for (let i = 0; i < limit; i++) {
    let best = 0;
    for (let j = 1; j < 10; j++) if (s[i * 10 + j] > s[i * 10 + best]) best = j;
    if (best !== test.y[i]) wrong++;
  }
  m.dispose();
  return wrong / limit;
}

describe('hubel ablate --lesion', () => {
  it('writes a table sorted by damage and a bar chart; errors match a hand-lesioned model', async () => {
    const out = join(dir, 'lesion');
    const r = await hubel(['ablate', '--model', model, '--lesion', 'conv1', '--limit', '200', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\| \d/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
    expect(rows).toHaveLength(32); // conv1 has 32 channels
    const damage = rows.map((c) => Number(c[4].replace('−', '-')));
    for (let i = 1; i < damage.length; i++) expect(damage[i - 1]).toBeGreaterThanOrEqual(damage[i]);
    expect(new Set(rows.map((c) => Number(c[2]))).size).toBe(32);
    for (const row of [rows[0], rows[31]]) {
      const u = Number(row[2]);
      expect(Number(row[3].replace('%', '')), `unit ${u}`).toBeCloseTo(100 * (await handLesion(u, 200)), 2);
    }
    expect(readFileSync(join(out, 'lesion.md'), 'utf8')).toContain(r.stdout);
    const svg = readFileSync(join(out, 'lesion.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(32);
  }, 120_000);

  it('an unknown or weightless layer is an error listing the layers', async () => {
    const r = await hubel(['ablate', '--model', model, '--lesion', 'conv9', '--limit', '10', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown layer 'conv9' \(layers that can be lesioned: conv1, bn1, conv2, bn2, fc1, scores\)/);
    const p = await hubel(['ablate', '--model', model, '--lesion', 'pool1', '--limit', '10', '--out', join(dir, 'bad')]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/pool1.*no per-unit weights/);
  });
});

describe('hubel ablate --variants', () => {
  it('retrains each variant with the same seeds and writes ablation.md', async () => {
    const out = join(dir, 'arch');
    const r = await hubel(['ablate', '--model', 'fashion', '--variants', 'no-bn,no-dropout', '--seeds', '2', '--epochs', '1', '--limit', '400', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(join(out, 'ablation.md'), 'utf8');
    const rows = md.split('\n').filter((l) => /^\| (full|no-)/.test(l));
    expect(rows.map((l) => l.split('|')[1].trim())).toEqual(['full', 'no-bn', 'no-dropout']);
    for (const l of rows) expect(l).toMatch(/\d+\.\d\d ± \d+\.\d\d/);
    const json = JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8'));
    expect(json.rows[0].runs.map((x: { seed: number }) => x.seed)).toEqual([1, 2]);
    expect(json.examples).toEqual({ train: 360, validation: 40, test: 400 });
  }, 300_000);

  it('an unknown variant is an error listing the model\'s variants', async () => {
    const r = await hubel(['ablate', '--model', 'fashion', '--variants', 'no-bn,no-lrn', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no variant 'no-lrn' \(its variants: no-bn, no-dropout, avgpool, tanh\)/);
    const both = await hubel(['ablate', '--model', model, '--lesion', 'conv1', '--variants', 'tanh']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/exactly one of --lesion/);
  });
});

/**
 * Top-1 error of model.onnx run by ONNX Runtime with node `layer` taken out of the ONNX graph by
 * hand (its readers read its first input instead), on the first `limit` test images of the sample.
 */
async function ortWithout(layer: string, limit: number): Promise<number> {
  const proto = decodeModel(new Uint8Array(readFileSync(model)), model);
  const g = proto.graph;
  const node = g.nodes.find((n) => n.name === layer)!;
  const [from] = node.inputs;
  const [to] = node.outputs;
  const nodes = g.nodes.filter((n) => n !== node).map((n) => ({ ...n, inputs: n.inputs.map((v) => (v === to ? from : v)) }));
  const session = await ort.InferenceSession.create(encodeModel({ ...proto, graph: { ...g, nodes, valueInfo: g.valueInfo.filter((v) => v.name !== to) } }));
  const { pixels, labels } = sampleSplit('t10k', limit);
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(pixels, (p) => p / 255), [limit, 1, 28, 28]) });
  const s = result[session.outputNames[0]].data as Float32Array;
  let wrong = 0;
  for (let i = 0; i < limit; i++) {
    let best = 0;
    for (let j = 1; j < 10; j++) if (s[i * 10 + j] > s[i * 10 + best]) best = j;
    if (best !== labels[i]) wrong++;
  }
  return wrong / limit;
}

describe('hubel ablate --whole-layers', () => {
  it('replaces each same-shape layer by identity: errors match ONNX Runtime on the graph without it', async () => {
    const out = join(dir, 'whole');
    const r = await hubel(['ablate', '--model', model, '--whole-layers', '--limit', '200', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\| \d/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
    // The fashion convnet: bn1, relu1, bn2, relu2, relu3 and dropout keep their input's shape.
    expect(rows.map((c) => c[2]).sort()).toEqual(['bn1 (BatchNormalization) → identity', 'bn2 (BatchNormalization) → identity', 'dropout (Dropout) → identity', 'relu1 (Relu) → identity', 'relu2 (Relu) → identity', 'relu3 (Relu) → identity']);
    const damage = rows.map((c) => Number(c[4].replace('−', '-')));
    for (let i = 1; i < damage.length; i++) expect(damage[i - 1]).toBeGreaterThanOrEqual(damage[i]);
    const errorOf = (layer: string) => Number(rows.find((c) => c[2].startsWith(`${layer} `))![3].replace('%', '')) / 100;
    // Dropout is the identity at inference: removing it changes nothing.
    expect(damage[rows.findIndex((c) => c[2].startsWith('dropout '))]).toBe(0);
    // Another engine, another graph edit. ONNX Runtime's sums may differ from Hubel's in the last
    // bits, which can flip an image whose two best scores tie to that precision: one image of 200.
    for (const layer of ['bn1', 'relu3']) expect(Math.abs(errorOf(layer) - (await ortWithout(layer, 200))), layer).toBeLessThanOrEqual(1 / 200 + 1e-12);
    expect(r.stdout).toMatch(/Layers whose shapes do not allow identity:\n\n- conv1 \(Conv\): input \[N, 1, 28, 28\], output \[N, 32, 28, 28\]\n- pool1 \(MaxPool\): input \[N, 32, 28, 28\], output \[N, 32, 14, 14\]\n/);
    expect(r.stdout).toMatch(/- scores \(Gemm\): input \[N, 128\], output \[N, 10\]\n/);
    const svg = readFileSync(join(out, 'lesion.svg'), 'utf8');
    expect(svg.match(/<rect /g)).toHaveLength(6);

    // With --lesion: the units' rows and the layers' rows in one table and one chart.
    const both = await hubel(['ablate', '--model', model, '--lesion', 'conv1', '--whole-layers', '--limit', '200', '--out', join(dir, 'both')]);
    expect(both.code, both.stderr).toBe(0);
    const all = both.stdout.split('\n').filter((l) => /^\| \d/.test(l));
    expect(all).toHaveLength(32 + 6);
    expect(all.filter((l) => /\| conv1 unit \d+ \|/.test(l))).toHaveLength(32);
    expect(readFileSync(join(dir, 'both', 'lesion.svg'), 'utf8').match(/<rect /g)).toHaveLength(38);
    const variants = await hubel(['ablate', '--model', 'fashion', '--variants', 'tanh', '--whole-layers']);
    expect(variants.code).toBe(1);
    expect(variants.stderr).toMatch(/exactly one of --lesion LAYER \(and\/or --whole-layers\) or --variants/);
  }, 120_000);
});

// --data as `hubel train` and `hubel eval` take it: an image folder and IDX files holding the same
// images with the same labels (sample-folder.ts) must give the same tables.
describe('hubel ablate --data on an image folder', () => {
  let twin: TwinData;
  let folderModel: string;
  beforeAll(async () => {
    twin = writeTwinData(join(dir, 'twin'), 300, 100);
    // Trained on the folder, so model.onnx's class names are the folder's (c0…c9).
    const r = await hubel(['train', '--data', twin.folder, '--epochs', '1', '--batch', '32', '--out', join(dir, 'folder-run')]);
    expect(r.code, r.stderr).toBe(0);
    folderModel = join(dir, 'folder-run', 'model.onnx');
  }, 120_000);

  it('--lesion and --whole-layers on test/: the table of the IDX files', async () => {
    const fromFolder = await hubel(['ablate', '--model', folderModel, '--lesion', 'conv1', '--whole-layers', '--data', twin.folder, '--out', join(dir, 'lesion-folder')]);
    expect(fromFolder.code, fromFolder.stderr).toBe(0);
    expect(fromFolder.stdout).toMatch(/on 100 images; intact error/);
    const fromIdx = await hubel(['ablate', '--model', folderModel, '--lesion', 'conv1', '--whole-layers', '--data', twin.idx, '--out', join(dir, 'lesion-idx')]);
    expect(fromIdx.code, fromIdx.stderr).toBe(0);
    expect(fromFolder.stdout).toBe(fromIdx.stdout);
  }, 120_000);

  it('--variants: the same runs as on the IDX files', async () => {
    const run = async (data: string, out: string) => {
      const r = await hubel(['ablate', '--model', 'fashion', '--variants', 'no-dropout', '--seeds', '1', '--epochs', '1', '--data', data, '--out', join(dir, out)]);
      expect(r.code, r.stderr).toBe(0);
      return { stderr: r.stderr, json: JSON.parse(readFileSync(join(dir, out, 'ablation.json'), 'utf8')) };
    };
    const fromFolder = await run(twin.folder, 'variants-folder');
    expect(fromFolder.stderr).toMatch(/data: \S+folder \(image folders train\/, test\/, gray\): 270 training, 30 validation, 100 test images of 1×28×28, 10 classes/);
    const fromIdx = await run(twin.idx, 'variants-idx');
    expect(fromFolder.json.examples).toEqual({ train: 270, validation: 30, test: 100 });
    const runs = (j: { rows: { runs: { variant: string; valError: number; testError: number; params: number }[] }[] }) => j.rows.flatMap((row) => row.runs.map(({ variant, valError, testError, params }) => ({ variant, valError, testError, params })));
    expect(runs(fromFolder.json)).toEqual(runs(fromIdx.json));
  }, 300_000);

  it('bad --data (neither IDX files nor an image folder) and image-folder flags where they do not apply: errors naming them', async () => {
    const junk = join(dir, 'junk');
    mkdirSync(junk, { recursive: true });
    writeFileSync(join(junk, 'notes.txt'), 'not data\n');
    const variants = await hubel(['ablate', '--model', 'fashion', '--variants', 'tanh', '--data', junk, '--out', join(dir, 'bad')]);
    expect(variants.code).toBe(1);
    expect(variants.stderr).toMatch(/\S+junk: no class folders .*; --data also takes a directory of MNIST-format IDX files/);
    const lesion = await hubel(['ablate', '--model', folderModel, '--whole-layers', '--data', junk, '--out', join(dir, 'bad')]);
    expect(lesion.code).toBe(1);
    expect(lesion.stderr).toMatch(/\S+junk: no class folders .*; --data also takes a directory of MNIST-format IDX files/);
    const split = await hubel(['ablate', '--model', folderModel, '--whole-layers', '--split', '0.8,0.1,0.1', '--data', twin.folder, '--out', join(dir, 'bad')]);
    expect(split.code).toBe(1);
    expect(split.stderr).toMatch(/--split applies to --variants, not --whole-layers/);
    const idxResize = await hubel(['ablate', '--model', 'fashion', '--variants', 'tanh', '--resize', 'area', '--data', twin.idx, '--out', join(dir, 'bad')]);
    expect(idxResize.code).toBe(1);
    expect(idxResize.stderr).toMatch(/--resize applies to image folders; \S+idx holds IDX files/);
  });
});
