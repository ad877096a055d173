// `hubel train` end to end on the bundled Fashion-MNIST sample: files written, the model read
// back by `hubel eval` and by ONNX Runtime (an independent engine), resume, Ctrl-C.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel } from '@hubel/io';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { hubel, sampleSplit } from './cli-helpers.js';

const LIMIT = 120; // 108 training + 12 validation images, 120 test images: a few seconds per epoch
const common = ['--limit', String(LIMIT), '--batch', '24', '--seed', '3'];

const records = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Every initializer of an .onnx file as name → bytes, for exact comparisons. */
const weights = (file: string) => new Map(decodeModel(new Uint8Array(readFileSync(file)), file).graph.initializers.map((t) => [t.name, Buffer.from(t.rawData ?? new Uint8Array()).toString('hex')]));

describe('hubel train → eval → resume (fashion convnet, bundled sample)', () => {
  const out = mkdtempSync(join(tmpdir(), 'hubel-cli-'));
  let oneEpoch: Map<string, string> | undefined;

  it('trains one epoch and writes model.onnx, checkpoint.onnx, metrics.jsonl, filters.png, curves.svg', async () => {
    const r = await hubel(['train', '--epochs', '1', '--out', out, ...common]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/epoch 1 \[#+\] 5\/5 loss/);
    expect(r.stderr).toMatch(/epoch 1\/1: train loss \d+\.\d+ error \d+\.\d+% \| val loss \d+\.\d+ error \d+\.\d+%/);
    expect(r.stderr).toMatch(/batch norm: stored training-set mean and variance in bn1, bn2/);
    for (const f of ['model.onnx', 'checkpoint.onnx', 'metrics.jsonl', 'filters.png', 'curves.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    const types = records(out).map((x) => x.type);
    expect(types).toEqual(['run', 'epoch', 'done']);
    // 32 conv1 filters, 1×3×3 each, gray tiles on a ⌈√32⌉ = 6 column grid; viz upscales a tile to
    // about 32 px (scale round(32 / 3) = 11, so 33 px per tile), with 1 px gaps: 6·33 + 7 = 205.
    // PNG: 8-byte signature, then IHDR with big-endian width and height, bit depth, colour type (0 = gray).
    const png = readFileSync(join(out, 'filters.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([6 * 33 + 7, 6 * 33 + 7, 8, 0]);
    expect(readFileSync(join(out, 'curves.svg'), 'utf8')).toMatch(/<polyline class="trainError"/);
    oneEpoch = weights(join(out, 'model.onnx'));
  });

  it('eval reads model.onnx back; its error equals ONNX Runtime\'s on the same test images', async () => {
    const r = await hubel(['eval', '--model', join(out, 'model.onnx'), '--limit', String(LIMIT), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { examples: number; error: number; confusion: number[][]; classNames: string[] };
    expect(report.examples).toBe(LIMIT);
    expect(report.classNames[0]).toBe('T-shirt/top');
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(LIMIT);

    const { pixels, labels, n } = sampleSplit('t10k', LIMIT);
    const session = await ort.InferenceSession.create(join(out, 'model.onnx'));
    const x = Float32Array.from(pixels, (p) => p / 255);
    const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [n, 1, 28, 28]) });
    const scores = result[session.outputNames[0]].data as Float32Array;
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (scores[i * 10 + c] > scores[i * 10 + best]) best = c;
      if (best !== labels[i]) wrong++;
    }
    // Same float32 model in two engines: scores agree to ~1e-5, so an argmax can flip only on a
    // near-tie; allow one such image out of 120.
    expect(Math.abs(report.error * n - wrong)).toBeLessThanOrEqual(1);
  });

  it('--resume continues from the checkpoint at epoch 2 and appends to metrics.jsonl', async () => {
    const r = await hubel(['train', '--resume', out, '--epochs', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/epoch 2\/2: train loss/);
    expect(r.stderr).not.toMatch(/epoch 1\/2/);
    const recs = records(out);
    expect(recs.map((x) => x.type)).toEqual(['run', 'epoch', 'done', 'run', 'epoch', 'done']);
    expect(recs[3].startEpoch).toBe(1);
    expect(recs.filter((x) => x.type === 'epoch').map((x) => x.epoch)).toEqual([0, 1]);
  });

  it('Ctrl-C mid-epoch writes a checkpoint and exits 130 without model.onnx; resume finishes the run bit-identically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubel-cli-int-'));
    const r = await hubel(['train', '--epochs', '1', '--out', dir, ...common], (err) => /epoch 1 \[/.test(err));
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/checkpoint written to .*checkpoint\.onnx; continue with: hubel train --resume/);
    expect(existsSync(join(dir, 'checkpoint.onnx'))).toBe(true);
    expect(existsSync(join(dir, 'model.onnx'))).toBe(false);
    const resumed = await hubel(['train', '--resume', dir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/epoch 1\/1: train loss/);
    // Same seed and flags as the first test's uninterrupted epoch: every weight and batch-norm
    // statistic must be the same bits.
    const resumedWeights = weights(join(dir, 'model.onnx'));
    expect(oneEpoch?.get('conv1.W')?.length).toBe(2 * 4 * 32 * 9); // float32 hex: 8 digits per 3×3 weight
    expect([...resumedWeights.keys()].sort()).toEqual([...oneEpoch!.keys()].sort());
    for (const [name, hex] of oneEpoch!) expect(resumedWeights.get(name) === hex, name).toBe(true);
  });
});

describe('hubel train --hidden/--dropout (size options of zoo models)', () => {
  it('builds the fashion convnet with 48 hidden units and dropout 0.2, and rejects options a model does not have', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-cli-knobs-'));
    const r = await hubel(['train', '--epochs', '1', '--hidden', '48', '--dropout', '0.2', '--out', out, ...common]);
    expect(r.code, r.stderr).toBe(0);
    // Parameters: conv1 288 + bn1 64 + conv2 18,432 + bn2 128 + fc1 (3136 + 1)·48 + scores (48 + 1)·10.
    expect(r.stderr).toMatch(new RegExp(`model: fashion, ${(288 + 64 + 18432 + 128 + 3137 * 48 + 490).toLocaleString('en-US')} parameters`));
    const g = decodeModel(new Uint8Array(readFileSync(join(out, 'model.onnx'))), 'model.onnx').graph;
    const init = new Map(g.initializers.map((t) => [t.name, t]));
    expect(init.get('fc1.W')?.dims.map(Number)).toEqual([48, 3136]);
    const ratio = init.get('dropout.ratio')!;
    expect(new Float32Array(new Uint8Array(ratio.rawData!).slice().buffer)[0]).toBeCloseTo(0.2, 7);

    const lenet = await hubel(['train', '--model', 'lenet', '--hidden', '10', '--out', out]);
    expect(lenet.code).toBe(1);
    expect(lenet.stderr).toMatch(/model 'lenet' has no --hidden option \(its options: none\)/);
    const alex = await hubel(['train', '--model', 'alexnet', '--hidden', '10', '--out', out]);
    expect(alex.stderr).toMatch(/model 'alexnet' has no --hidden option \(its options: --dropout\)/);
    expect((await hubel(['train', '--dropout', '1', '--out', out])).stderr).toMatch(/--dropout must be a ratio in \[0, 1\), found 1/);
    expect((await hubel(['train', '--hidden', '0', '--out', out])).stderr).toMatch(/--hidden must be a positive integer, found 0/);
    const file = await hubel(['train', '--model', join(out, 'model.onnx'), '--dropout', '0.1', '--out', out]);
    expect(file.stderr).toMatch(/--dropout applies to zoo models only; .*model\.onnx is a model file whose sizes are fixed/);
  });
});
