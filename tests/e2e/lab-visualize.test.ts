// `hubel visualize` end to end on the bundled sample: a model trained for one short epoch, every
// --what, the PNGs read back and measured, and the errors with their exit codes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng } from '@hubel/viz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

let dir: string;
let model: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubel-visualize-'));
  // The Fashion-MNIST convnet: conv1 (32, 3×3 pad 1) bn1 relu1 pool1, conv2 (64) bn2 relu2 pool2, fc1, scores.
  const r = await hubel(['train', '--epochs', '1', '--limit', '400', '--validation', '0', '--out', join(dir, 'run')]);
  expect(r.code, r.stderr).toBe(0);
  model = join(dir, 'run', 'model.onnx');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `hubel visualize` on the trained model, writing into the test directory. */
const visualize = (...args: string[]) => hubel(['visualize', '--model', model, '--out', join(dir, 'pictures'), ...args]);

/** The PNG at the end of the command's `wrote FILE (W×H)` line, decoded. */
function pictureOf(stdout: string) {
  const m = /wrote (.+\.png) \((\d+)×(\d+)\)/.exec(stdout);
  expect(m, stdout).not.toBeNull();
  const image = decodePng(new Uint8Array(readFileSync(m![1])), m![1]);
  expect([image.width, image.height]).toEqual([Number(m![2]), Number(m![3])]);
  return image;
}

describe('hubel visualize', () => {
  it('--what filters: conv1 as a 6×6 grid of 3×3 filters scaled ×11; conv2 one tile per input channel', async () => {
    const r = await visualize('--layer', 'conv1', '--what', 'filters');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/filters of conv1: 32 filters of 1×3×3/);
    // ⌈√32⌉ = 6 columns and rows of 3·11 = 33-pixel tiles with 1-pixel gaps: 6·33 + 7 = 205.
    expect(pictureOf(r.stdout)).toMatchObject({ width: 205, height: 205, channels: 1 });
    const r2 = await visualize('--layer', 'conv2', '--what', 'filters', '--units', '4');
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/filters of conv2: 4 of 64 filters of 32×3×3, one tile per input channel \(128 tiles/);
    // 4·32 = 128 gray tiles on ⌈√128⌉ = 12 columns, 11 rows.
    expect(pictureOf(r2.stdout)).toMatchObject({ width: 12 * 33 + 13, height: 11 * 33 + 12, channels: 1 });
  });

  it('--what filters on a zoo model: AlexNet conv1 in colour', async () => {
    const r = await hubel(['visualize', '--model', 'alexnet', '--layer', 'conv1', '--what', 'filters', '--out', join(dir, 'pictures')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/96 filters of 3×11×11, in colour/);
    // 10 columns of 11·3 = 33-pixel tiles: 10·33 + 11 = 341.
    expect(pictureOf(r.stdout)).toMatchObject({ width: 341, channels: 3 });
  });

  it('--what maps: relu2 of test image 3, 64 maps of 14×14', async () => {
    const r = await visualize('--layer', 'relu2', '--what', 'maps', '--image', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/feature maps of relu2 for test image 3: 64 maps of 14×14/);
    expect(r.stdout).toMatch(/maps-relu2-image3\.png/);
    // 8 columns of 14·2 = 28-pixel tiles: 8·28 + 9 = 233.
    const img = pictureOf(r.stdout);
    expect(img).toMatchObject({ width: 233, height: 233, channels: 1 });
    // Each map is stretched to its own range, so a map that is not constant reaches 0 and 255.
    expect(Math.min(...img.data)).toBe(0);
    expect(Math.max(...img.data)).toBe(255);
  });

  it('--what patches: relu2 field 8×8 (stride 2, offset −3), 8 units × 9 patches, strongest first', async () => {
    const r = await visualize('--layer', 'relu2', '--what', 'patches', '--limit', '300');
    expect(r.code, r.stderr).toBe(0);
    // conv1 3×3 p1: 3, j 1, −1; pool1 2×2 s2: 4, j 2; conv2 3×3 p1: 4 + 2·2 = 8, −1 − 2 = −3.
    expect(r.stdout).toMatch(/receptive field 8×8 pixels, stride 2×2, offset -3, -3; top 9 of 300 test images for units 0-7/);
    const rows = r.stdout.split('\n').filter((l) => /^ {2}unit \d+:/.test(l));
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      const acts = [...row.matchAll(/#\d+ (-?[\d.]+)/g)].map((m) => Number(m[1]));
      expect(acts).toHaveLength(9);
      expect([...acts].sort((a, b) => b - a)).toEqual(acts);
    }
    // 9 columns and 8 rows of 8·4 = 32-pixel tiles.
    expect(pictureOf(r.stdout)).toMatchObject({ width: 9 * 32 + 10, height: 8 * 32 + 9, channels: 1 });
  });

  it('--what maximize: the channel mean of relu2 rises by more than 1.5×; a class score rises', async () => {
    const r = await visualize('--layer', 'relu2', '--what', 'maximize', '--unit', '1', '--steps', '60');
    expect(r.code, r.stderr).toBe(0);
    const m = /maximize relu2 channel 1 mean: activation (\S+) at start → (\S+) after 60 steps/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [start, end] = [Number(m![1]), Number(m![2])];
    // From a gray 0.5 ± 5% start with pixels clipped to [0, 1]; measured on this run's model:
    // channel 1 0.775 → 1.957 (×2.5), channels 0–7 ×2.5 to ×88. 1.5 leaves room.
    expect(start).toBeGreaterThan(0);
    expect(end / start, r.stdout).toBeGreaterThan(1.5);
    expect(pictureOf(r.stdout)).toMatchObject({ width: 28 * 5 + 2, channels: 1 });

    const s = await visualize('--layer', 'scores', '--what', 'maximize', '--unit', '2', '--steps', '60');
    expect(s.code, s.stderr).toBe(0);
    const c = /maximize scores class 2 score: activation (\S+) at start → (\S+) after/.exec(s.stdout);
    expect(c, s.stdout).not.toBeNull();
    expect(Number(c![2]) - Number(c![1])).toBeGreaterThan(1);
  });

  it('bad layers: unknown (lists the layers), no spatial output for maps/patches, no filters', async () => {
    const unknown = await visualize('--layer', 'conv9', '--what', 'maps');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no layer named 'conv9' \(layers: conv1, bn1, relu1, pool1, conv2, bn2, relu2, pool2, flatten, fc1, relu3, dropout, scores\)/);
    for (const what of ['maps', 'patches']) {
      const flat = await visualize('--layer', 'fc1', '--what', what);
      expect(flat.code).toBe(1);
      expect(flat.stderr).toMatch(/layer 'fc1' \(Gemm\) has output \[N, 128\], without spatial axes; .* needs a layer with \[N, C, H, W\] output \(conv1, .* pool2\)/);
    }
    const noFilters = await visualize('--layer', 'relu1', '--what', 'filters');
    expect(noFilters.code).toBe(1);
    expect(noFilters.stderr).toMatch(/has no convolution filters .*layers with filters: conv1, conv2/);
  });

  it('bad input: --image out of range, unreadable model and data', async () => {
    const range = await visualize('--layer', 'conv1', '--what', 'maps', '--image', '1000');
    expect(range.code).toBe(1);
    expect(range.stderr).toMatch(/image 1000 is out of range: there are 1000 images \(0 to 999\)/);
    const missing = await hubel(['visualize', '--model', join(dir, 'missing.onnx'), '--layer', 'conv1', '--what', 'filters', '--out', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/hubel: error: .*missing\.onnx/);
    const garbage = join(dir, 'garbage.onnx');
    writeFileSync(garbage, 'not a model');
    const corrupt = await hubel(['visualize', '--model', garbage, '--layer', 'conv1', '--what', 'filters', '--out', dir]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/garbage\.onnx: not a valid ONNX/);
    const noData = await visualize('--layer', 'conv1', '--what', 'patches', '--data', join(dir, 'nowhere'));
    expect(noData.code).toBe(1);
    expect(noData.stderr).toMatch(/nowhere does not exist/);
  });

  it('bad flags exit 2 with the help hint', async () => {
    for (const args of [['--layer', 'conv1', '--what', 'pictures'], ['--what', 'maps'], ['--layer', 'conv1', '--what', 'maps', '--image', 'two'], ['--layer', 'conv1', '--what', 'maps', '--colour']]) {
      const r = await visualize(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/see hubel visualize --help/);
    }
    const help = await hubel(['visualize', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--what.*filters.*maps.*patches.*maximize/);
  });
});
