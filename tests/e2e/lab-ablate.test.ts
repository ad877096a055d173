// `hubel ablate` end to end on the bundled sample: the Fashion-MNIST convnet trained for one
// epoch with `hubel train`, then lesioned channel by channel (the table's errors checked against
// the same .onnx loaded independently with one conv1 channel's weights zeroed by hand and its
// scores scored here); an architecture ablation on a tiny budget; the errors with exit codes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { loadOnnx } from '@hubel/io';
import { zooRegistry } from '@hubel/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

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
