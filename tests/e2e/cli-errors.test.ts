// `hubel` on bad input: clear messages, the right exit code, and no model file left behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { hubel, sampleSplit } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'hubel-cli-err-'));

/** Raw IDX bytes from the format's definition: 00 00 08 rank, big-endian dims, then the bytes. */
function idx(dims: number[], body: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

/** A data directory with the given train/test files; returns its path. */
function dataDir(name: string, files: Record<string, Uint8Array>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), bytes);
  return dir;
}

const { pixels, labels } = sampleSplit('train', 20);

describe('hubel: bad input gives a clear message, a non-zero exit and no partial model', () => {
  it('unknown model name → exit 1 listing the zoo', async () => {
    const r = await hubel(['train', '--model', 'resnet', '--out', join(root, 'o1')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/hubel: error: unknown model 'resnet' \(known: fashion, lenet, alexnet, alexnet-1tower, mlp, hmax, neocognitron, neocognitron-backprop, or a path to an \.onnx file\)/);
  });

  it('missing data directory → exit 1 naming it', async () => {
    const r = await hubel(['train', '--data', join(root, 'nope'), '--out', join(root, 'o2')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/data directory .*nope does not exist/);
  });

  it('truncated image file → exit 1 naming the file, and nothing written to --out', async () => {
    const dir = dataDir('truncated', {
      'train-images-idx3-ubyte': idx([20, 28, 28], pixels.subarray(0, 19 * 784 + 100)),
      'train-labels-idx1-ubyte': idx([20], labels),
    });
    const out = join(root, 'o3');
    const r = await hubel(['train', '--data', dir, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/train-images-idx3-ubyte: truncated: the IDX header declares dims \[20, 28, 28\] of ubyte = 15680 data bytes, the file holds 14996/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('not an IDX file, and image/label count mismatch → exit 1', async () => {
    const bad = dataDir('notidx', { 'train-images-idx3-ubyte': new TextEncoder().encode('hello, world'), 'train-labels-idx1-ubyte': idx([20], labels) });
    expect((await hubel(['train', '--data', bad, '--out', join(root, 'o4')])).stderr).toMatch(/train-images-idx3-ubyte: not an IDX file: magic number must start with bytes 00 00, found 0x68 0x65/);
    const mismatch = dataDir('mismatch', { 'train-images-idx3-ubyte': idx([20, 28, 28], pixels), 'train-labels-idx1-ubyte': idx([19], labels.subarray(0, 19)) });
    const r = await hubel(['train', '--data', mismatch, '--out', join(root, 'o5')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/20 images in .*train-images-idx3-ubyte but 19 labels in .*train-labels-idx1-ubyte/);
  });

  it('images of the wrong size for the model → exit 1 (train with AlexNet; eval of a 28×28 model on 32×32 images)', async () => {
    const r = await hubel(['train', '--model', 'alexnet', '--out', join(root, 'o6'), '--limit', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model 'alexnet' cannot take 1×28×28 images \(it is designed for 3×227×227\)/);
    const file = join(root, 'lenet.onnx');
    expect((await hubel(['export', '--model', 'lenet', '--out', file])).code).toBe(0);
    const big = dataDir('big', { 't10k-images-idx3-ubyte': idx([2, 32, 32], new Uint8Array(2 * 1024)), 't10k-labels-idx1-ubyte': idx([2], Uint8Array.of(1, 2)) });
    const e = await hubel(['eval', '--model', file, '--data', big]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/lenet\.onnx expects input \[N, 1, 28, 28\], but the data's images are \[1, 32, 32\]/);
  });

  it('unwritable output directory → exit 1 before any training', async () => {
    const file = join(root, 'plain-file');
    writeFileSync(file, 'x');
    const r = await hubel(['train', '--out', join(file, 'sub')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/output directory .*plain-file\/sub is not writable \(ENOTDIR\)/);
    expect(r.stderr).not.toMatch(/epoch 1/);
  });

  it('bad flags → exit 2 with the command named', async () => {
    expect((await hubel(['train', '--epochs', 'many'])).stderr).toMatch(/hubel train: --epochs must be an integer, found 'many'/);
    const r = await hubel(['train', '--lr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--lr needs a value/);
    expect((await hubel(['frobnicate'])).code).toBe(2);
  });
});

describe('hubel export and inspect', () => {
  it('export writes an untrained LeNet-5 that ONNX Runtime runs to [1, 10] scores', async () => {
    const file = join(root, 'lenet-ort.onnx');
    const r = await hubel(['export', '--model', 'lenet', '--out', file]);
    expect(r.code, r.stderr).toBe(0);
    const session = await ort.InferenceSession.create(file);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(784).fill(0.5), [1, 1, 28, 28]) });
    expect(out[session.outputNames[0]].dims).toEqual([1, 10]);
  });

  it('inspect --model alexnet prints the paper\'s shapes and 60,965,224 parameters', async () => {
    const r = await hubel(['inspect', '--model', 'alexnet']);
    expect(r.code, r.stderr).toBe(0);
    // 227 → ⌊(227 − 11)/4⌋ + 1 = 55 → pool ⌊(55 − 3)/2⌋ + 1 = 27 → … → pool5 6.
    expect(r.stdout).toMatch(/conv1 +Conv +\[N, 96, 55, 55\]/);
    expect(r.stdout).toMatch(/pool2 +MaxPool +\[N, 256, 13, 13\]/);
    expect(r.stdout).toMatch(/pool5 +MaxPool +\[N, 256, 6, 6\]/);
    expect(r.stdout).toMatch(/total trainable parameters: 60,965,224/);
  });
});
