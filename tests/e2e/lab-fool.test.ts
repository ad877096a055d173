// `hubel fool` end to end on the bundled sample: a model trained for one short epoch is fooled
// for all 10 classes by gradient ascent and by evolution, and attacked with FGSM and PGD. The
// images.npy each run writes are read back with @hubel/lab's .npy reader and fed to ONNX Runtime
// (an independent engine) with the same model.onnx: its probabilities must match targets.json.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import { Model } from '@hubel/core';
import { saveOnnx } from '@hubel/io';
import { decodeNpy } from '@hubel/lab';
import { fashionNet, zooRegistry } from '@hubel/models';
import { decodePng } from '@hubel/viz';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
let dir: string;
let model: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubel-fool-'));
  const r = await hubel(['train', '--epochs', '1', '--limit', '1000', '--validation', '0', '--out', join(dir, 'run')]);
  expect(r.code, r.stderr).toBe(0);
  model = join(dir, 'run', 'model.onnx');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Entry {
  readonly target: number;
  readonly name: string;
  readonly confidence: number;
  readonly probabilities: number[];
}

/** ONNX Runtime's softmax probabilities ([N, K] rows) for images.npy of `out`, read back through decodeNpy. */
async function onnxRuntimeProbabilities(out: string): Promise<{ rows: number[][]; shape: number[] }> {
  const { data, shape } = decodeNpy(new Uint8Array(readFileSync(join(out, 'images.npy'))), 'images.npy');
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(model)));
  const scores = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, shape) }))[session.outputNames[0]].data as Float32Array;
  const k = scores.length / shape[0];
  const rows = Array.from({ length: shape[0] }, (_, i) => {
    const z = Array.from(scores.subarray(i * k, (i + 1) * k));
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
  return { rows, shape };
}

/** Checks targets.json of `out` against ONNX Runtime on images.npy, to 1e-4 per probability. */
async function agreesWithOnnxRuntime(out: string, entries: readonly Entry[]): Promise<void> {
  const { rows, shape } = await onnxRuntimeProbabilities(out);
  expect(shape.slice(1)).toEqual([1, 28, 28]);
  expect(rows).toHaveLength(entries.length);
  let worst = 0;
  entries.forEach((e, i) => e.probabilities.forEach((p, j) => (worst = Math.max(worst, Math.abs(p - rows[i][j])))));
  expect(worst).toBeLessThan(1e-4);
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

describe('hubel fool', () => {
  it('--method gradient: every class reaches 99.9% from noise; ONNX Runtime gives the same probabilities on images.npy', async () => {
    const out = join(dir, 'gradient');
    const r = await hubel(['fool', '--model', model, '--method', 'gradient', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10 of 10 classes reached 0.999 confidence/);
    const targets = readJson<Entry[]>(join(out, 'targets.json'));
    expect(targets.map((t) => t.target)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(targets.map((t) => t.name)).toEqual(CLASSES);
    for (const t of targets) expect(t.confidence, t.name).toBeGreaterThanOrEqual(0.999);
    await agreesWithOnnxRuntime(out, targets);
    // ONNX Runtime's own verdict: each image's most probable class is its target, at ≥ 99%.
    const { rows } = await onnxRuntimeProbabilities(out);
    rows.forEach((p, k) => expect(p[k], CLASSES[k]).toBeGreaterThanOrEqual(0.99));
    // fooling.png: one row of 10 tiles of 28·2 = 56 pixels with 1-pixel gaps; fooling.svg captions them.
    expect(decodePng(new Uint8Array(readFileSync(join(out, 'fooling.png'))))).toMatchObject({ width: 10 * 56 + 11, height: 58, channels: 1 });
    const svg = readFileSync(join(out, 'fooling.svg'), 'utf8');
    expect(svg.match(/<image /g)).toHaveLength(10);
    for (const name of CLASSES) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toMatch(/>99\.9\d%<\/text>/);
  }, 60_000);

  it('--method gradient --from-image 0 --confidence 0.99: starts from a test image', async () => {
    const out = join(dir, 'from-image');
    const r = await hubel(['fool', '--model', model, '--method', 'gradient', '--from-image', '0', '--confidence', '0.99', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10 of 10 classes reached 0.99 confidence/);
    const { data } = decodeNpy(new Uint8Array(readFileSync(join(out, 'images.npy'))));
    for (const t of readJson<Entry[]>(join(out, 'targets.json'))) expect(t.confidence, t.name).toBeGreaterThanOrEqual(0.99);
    expect(data.every((v) => v >= 0 && v <= 1)).toBe(true);
  }, 60_000);

  // Without gradients the search is slower: measured 31 (Bag) to 606 (Dress) generations to 99%
  // for this model and seed, about 3 minutes on 2 busy cores. Another seed of the same run needed more than 800 for Dress, so 2,000 leave room.
  it('--method evolve --confidence 0.99: every class reaches 99% without gradients; ONNX Runtime agrees', async () => {
    const out = join(dir, 'evolve');
    const r = await hubel(['fool', '--model', model, '--method', 'evolve', '--confidence', '0.99', '--generations', '2000', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10 of 10 classes reached 0.99 confidence/);
    const targets = readJson<Entry[]>(join(out, 'targets.json'));
    for (const t of targets) expect(t.confidence, t.name).toBeGreaterThanOrEqual(0.99);
    await agreesWithOnnxRuntime(out, targets);
    console.log(`evolve: ${r.stdout}`);
  }, 600_000);

  it('--method fgsm and pgd at ε 0.01, 0.03, 0.1 on 100 test images: PGD accuracy ≤ FGSM accuracy at each ε; ONNX Runtime agrees', async () => {
    const measured: Record<string, { epsilon: number; accuracy: number; successRate: number }[]> = {};
    for (const method of ['fgsm', 'pgd']) {
      const out = join(dir, method);
      const r = await hubel(['fool', '--model', model, '--method', method, '--epsilon', '0.01,0.03,0.1', '--limit', '100', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const rob = readJson<{ cleanAccuracy: number; points: { epsilon: number; accuracy: number; successRate: number }[] }>(join(out, 'robustness.json'));
      expect(rob.points.map((p) => p.epsilon)).toEqual([0.01, 0.03, 0.1]);
      // Accuracy falls as ε grows (each ε-ball contains the smaller ones' FGSM/PGD budget).
      expect(rob.points[2].accuracy).toBeLessThan(rob.cleanAccuracy);
      measured[method] = rob.points;
      const targets = readJson<(Entry & { epsilon: number; predicted: number })[]>(join(out, 'targets.json'));
      expect(targets).toHaveLength(300);
      await agreesWithOnnxRuntime(out, targets);
      // Accuracy as ONNX Runtime sees the same images.
      const { rows } = await onnxRuntimeProbabilities(out);
      rob.points.forEach((p, e) => {
        const right = targets.slice(e * 100, (e + 1) * 100).filter((t, i) => rows[e * 100 + i].indexOf(Math.max(...rows[e * 100 + i])) === t.target).length;
        expect(right / 100).toBeCloseTo(p.accuracy, 2);
      });
      expect(readFileSync(join(out, 'robustness.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>\n$/);
    }
    for (let e = 0; e < 3; e++) expect(measured.pgd[e].accuracy, `ε ${measured.pgd[e].epsilon}`).toBeLessThanOrEqual(measured.fgsm[e].accuracy);
    console.log(`accuracy under attack (100 sample test images): ${JSON.stringify(measured)}`);
  }, 120_000);

  it('bad input: ε outside [0, 1] names --epsilon; a model whose output is not class scores is an error', async () => {
    const r = await hubel(['fool', '--model', model, '--method', 'pgd', '--epsilon', '0.1,1.5', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--epsilon values must be numbers in \[0, 1\], found '1.5'/);
    const net = fashionNet({ registry: zooRegistry() }).build({ backend: createCpuBackend(), seed: 1 });
    const end = net.nodes.findIndex((n) => n.outputs.includes('relu1')) + 1;
    const maps = new Model({ backend: net.backend, registry: net.registry, inputs: net.inputs, outputs: ['relu1'], valueInfo: net.valueInfo, nodes: net.nodes.slice(0, end) }, false);
    await saveOnnx(join(dir, 'maps.onnx'), maps);
    const r2 = await hubel(['fool', '--model', join(dir, 'maps.onnx'), '--out', join(dir, 'bad')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/output 'relu1' is \[N, 32, 28, 28\]; fooling needs class scores \[N, K\] with K ≥ 2/);
  }, 60_000);
});
