// `hubel diagnose` end to end on the bundled sample: the Fashion-MNIST convnet trained for one short epoch with
// `hubel train --unit-stats` (its metrics.jsonl checked), then diagnosed as an .onnx file; the JSON
// compared with the library's numbers, the heat maps read back with a PNG decoder written here
// from the format, the histogram SVG read back, and the errors with their exit codes.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { createCpuBackend } from '@hubel/backend-cpu';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { loadOnnx } from '@hubel/io';
import { diagnoseModel, type LayerSummary, type UnitStatsRecord } from '@hubel/lab';
import { zooRegistry } from '@hubel/models';
import { correlationColor, encodePng } from '@hubel/viz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubel-diagnose-'));
  const r = await hubel(['train', '--epochs', '1', '--limit', '200', '--batch', '20', '--unit-stats', '--out', join(dir, 'run')]);
  expect(r.code, r.stderr).toBe(0);
  model = join(dir, 'run', 'model.onnx');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An 8-bit RGB PNG decoded from the format: signature, chunks (length, type, data, CRC), the
 * IDAT data inflated, each row preceded by its filter type (0 none, 1 sub, 2 up, 3 average,
 * 4 Paeth) and unfiltered against the row above.
 */
function readPng(path: string): { width: number; height: number; rgb: Uint8Array } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < bytes.length; ) {
    const len = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]], 'bit depth 8, colour type 2 (RGB)').toEqual([8, 2]);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const rgb = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= 3 ? rgb[y * stride + x - 3] : 0;
      const b = y > 0 ? rgb[(y - 1) * stride + x] : 0;
      const c = x >= 3 && y > 0 ? rgb[(y - 1) * stride + x - 3] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][filter];
      rgb[y * stride + x] = (v + pred) & 255;
    }
  }
  return { width, height, rgb };
}

describe('hubel train --unit-stats', () => {
  it('appends a units record after each epoch record: per-parameter norms and ratios, unit statistics on the validation images', () => {
    const records = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string } & Partial<UnitStatsRecord>);
    expect(records.map((r) => r.type)).toEqual(['run', 'epoch', 'units', 'done']);
    const units = records[2] as UnitStatsRecord;
    expect(units.epoch).toBe(0);
    // Batch norm's running mean and variance are not trained: not listed.
    expect(units.params.map((p) => p.key)).toEqual(['conv1.W', 'bn1.scale', 'bn1.B', 'conv2.W', 'bn2.scale', 'bn2.B', 'fc1.W', 'fc1.B', 'scores.W', 'scores.B']);
    // 180 training images in batches of 20: 9 steps.
    for (const p of units.params) {
      expect(p.steps, p.key).toBe(9);
      expect(p.weightNorm, p.key).toBeGreaterThan(0);
      expect(p.gradNorm, p.key).toBeGreaterThan(0);
    }
    for (const p of units.params.filter((q) => q.key.endsWith('.W'))) expect(p.updateRatio, p.key).toBeGreaterThan(0);
    // The probe is the 20 validation images (10% of 200).
    expect(units.probeImages).toBe(20);
    expect(units.layers.find((l) => l.value === 'relu1')).toMatchObject({ op: 'Relu', units: 32, shape: [32, 28, 28], rectified: true });
  });
});

describe('hubel diagnose', () => {
  it('--json --out: the numbers equal the library\'s on the same images; one heat map per output, coloured by r; histograms.svg, one panel per output', async () => {
    const out = join(dir, 'pictures');
    const t0 = performance.now();
    const r = await hubel(['diagnose', '--model', model, '--limit', '100', '--json', '--out', out]);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { images: number; layers: (LayerSummary & { dead: number[] })[]; files: string[]; seconds: number };
    expect(json.images).toBe(100);
    expect(json.seconds).toBeLessThanOrEqual(seconds);
    const values = json.layers.map((l) => l.value);
    expect(values).toEqual(['conv1', 'bn1', 'relu1', 'pool1', 'conv2', 'bn2', 'relu2', 'pool2', 'flatten', 'fc1', 'relu3', 'dropout', 'scores']);

    const backend = createCpuBackend();
    const loaded = await loadOnnx(model, { registry: zooRegistry(), backend });
    const images = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test', limit: 100 })).dataset;
    const lib = await diagnoseModel(loaded, images);
    lib.layers.forEach((l, i) => {
      const j = json.layers[i];
      expect([j.deadUnits, j.dead, j.units, j.rectified], l.value).toEqual([l.deadUnits, l.dead, l.units, l.rectified]);
      for (const k of ['sparsity', 'mean', 'std'] as const) expect(j[k], `${l.value} ${k}`).toBeCloseTo(l[k], 12);
      if (Number.isNaN(l.meanAbsCorrelation)) expect(j.meanAbsCorrelation).toBeNull();
      else expect(j.meanAbsCorrelation, `${l.value} mean |r|`).toBeCloseTo(l.meanAbsCorrelation, 12);
    });

    expect(readdirSync(out).sort()).toEqual([...values.map((v) => `correlation-${v}.png`), 'histograms.svg'].sort());
    expect(json.files.sort()).toEqual(readdirSync(out).sort());
    for (const name of ['relu1', 'flatten', 'fc1', 'scores']) {
      const l = lib.layers.find((x) => x.value === name)!;
      const n = l.correlationUnits.length;
      const png = readPng(join(out, `correlation-${name}.png`));
      const cell = Math.max(1, Math.round(256 / n));
      expect([png.width, png.height], name).toEqual([n * cell, n * cell]);
      for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 7))) {
        for (let j = 0; j < n; j += Math.max(1, Math.floor(n / 5))) {
          const at = ((i * cell + (cell >> 1)) * png.width + j * cell + (cell >> 1)) * 3;
          expect(Array.from(png.rgb.subarray(at, at + 3)), `${name} r[${i}, ${j}] = ${l.correlation[i * n + j]}`).toEqual(correlationColor(l.correlation[i * n + j]));
        }
      }
    }
    const svg = readFileSync(join(out, 'histograms.svg'), 'utf8');
    expect(svg.match(/<g class="panel">/g)).toHaveLength(values.length);
    for (const l of lib.layers) expect(svg, l.value).toContain(`>${l.value} (${l.op} ${l.shape.join('×')})</text>`);
    const zeros = [...svg.matchAll(/zeros ([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(zeros).toEqual(lib.layers.map((l) => Number((100 * l.histogram.zeros).toFixed(1))));
    loaded.dispose();
  });

  it('prints a table per layer; a zoo model name works too', async () => {
    const r = await hubel(['diagnose', '--model', model, '--limit', '50']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on 50 images \(test split\) from .*fashion-mnist/);
    expect(r.stdout).toMatch(/output\s+op\s+shape\s+units\s+sparsity\s+dead\s+mean \|r\|\s+mean\s+std\n/);
    expect(r.stdout).toMatch(/\nrelu1\s+Relu\s+32×28×28\s+32\s+[\d.]+% \s+\d+\s+[\d.]+/);
    expect(r.stdout).toMatch(/\nconv1\s+Conv\s+32×28×28\s+32\s+[\d.]+%\*\s+\d+/);
    expect(r.stdout).toMatch(/\* output takes negative values/);
    const zoo = await hubel(['diagnose', '--model', 'lenet', '--limit', '20', '--nodes', 'act1,c5', '--json']);
    expect(zoo.code, zoo.stderr).toBe(0);
    expect((JSON.parse(zoo.stdout) as { layers: LayerSummary[] }).layers.map((l) => [l.value, l.units])).toEqual([['act1', 6], ['c5', 120]]);
  });

  it('a folder of images whose classes the model does not know: read in the model\'s format, labels ignored', async () => {
    const folder = join(dir, 'shapes');
    for (const c of ['circles', 'squares']) {
      mkdirSync(join(folder, c), { recursive: true });
      for (let i = 0; i < 5; i++) {
        const data = Uint8Array.from({ length: 28 * 28 }, (_, k) => ((k % 28) * (i + 2) + (c === 'squares' ? 90 : 0)) % 256);
        writeFileSync(join(folder, c, `${i}.png`), encodePng({ width: 28, height: 28, channels: 1, data }));
      }
    }
    const r = await hubel(['diagnose', '--model', model, '--data', folder, '--split', 'all', '--nodes', 'relu3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ images: 10, split: 'all', layers: [{ value: 'relu3', units: 128 }] });
  });

  it('bad input: exit 2 for bad flags, exit 1 with a clear message for a bad model, data, node, split or output directory', async () => {
    const bad = async (args: string[], code: number, message: RegExp) => {
      const r = await hubel(['diagnose', ...args]);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(message);
    };
    await bad(['--model', model, '--bogus'], 2, /hubel diagnose: unknown flag --bogus \(known: --model, --data/);
    await bad(['--model', model, '--limit', 'ten'], 2, /--limit must be an integer, found 'ten'/);
    await bad(['--model', model, '--limit', '0'], 1, /hubel: error: hubel diagnose: --limit must be at least 1, found 0/);
    await bad(['--model', join(dir, 'missing.onnx')], 1, /hubel: error: .*missing\.onnx/);
    await bad(['--model', 'resnet'], 1, /unknown model 'resnet' \(known: fashion, lenet/);
    await bad(['--model', model, '--nodes', 'relu1,nope'], 1, /no node named 'nope' \(nodes: conv1, bn1, relu1, /);
    await bad(['--model', model, '--split', 'val'], 1, /--split val applies to image folders/);
    await bad(['--model', model, '--seed', '3'], 1, /--seed applies to zoo models/);
    await bad(['--model', model, '--data', join(dir, 'nowhere')], 1, /nowhere/);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await bad(['--model', model, '--out', file], 1, /output directory .*a-file is not writable/);
  });
});
