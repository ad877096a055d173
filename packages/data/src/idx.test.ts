import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HubelError, Rng } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist, readIdx } from '@hubel/data';
import { describe, expect, it } from 'vitest';

/** IDX bytes written by hand from the format's definition (independent of encodeIdx). */
function idxBytes(typeByte: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(head.buffer);
  head[2] = typeByte;
  head[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

const dir = mkdtempSync(join(tmpdir(), 'hubel-idx-'));
function put(name: string, bytes: Uint8Array, sub = ''): string {
  mkdirSync(join(dir, sub), { recursive: true });
  const p = join(dir, sub, name);
  writeFileSync(p, bytes);
  return p;
}

describe('readIdx', () => {
  const seed = 11;
  const pixels = randomBytes(3 * 4 * 5, seed);

  it(`reads a raw ubyte file: dims and every byte (seed ${seed})`, async () => {
    const a = await readIdx(put('raw.idx', idxBytes(0x08, [3, 4, 5], pixels)));
    expect(a.type).toBe('ubyte');
    expect(a.dims).toEqual([3, 4, 5]);
    expect(Array.from(a.data)).toEqual(Array.from(pixels));
  });

  it('reads the same file gzip-compressed, detected by content', async () => {
    const a = await readIdx(put('raw.idx.gz', gzipSync(idxBytes(0x08, [3, 4, 5], pixels))));
    expect(a.dims).toEqual([3, 4, 5]);
    expect(Array.from(a.data)).toEqual(Array.from(pixels));
  });

  it('decodes big-endian int32 and float32 elements', async () => {
    const ints = [1, -2, 70000, -2147483648];
    const body = new Uint8Array(16);
    ints.forEach((x, i) => new DataView(body.buffer).setInt32(4 * i, x, false));
    expect(Array.from((await readIdx(put('i32.idx', idxBytes(0x0c, [4], body)))).data)).toEqual(ints);
    const floats = [0.5, -1.25, 3e10];
    const fb = new Uint8Array(12);
    floats.forEach((x, i) => new DataView(fb.buffer).setFloat32(4 * i, x, false));
    expect(Array.from((await readIdx(put('f32.idx', idxBytes(0x0d, [3], fb)))).data)).toEqual(floats.map(Math.fround));
  });

  it('rejects a wrong magic number, naming the file', async () => {
    const bad = idxBytes(0x08, [2], new Uint8Array(2));
    bad[0] = 1;
    const p = put('badmagic.idx', bad);
    await expect(readIdx(p)).rejects.toThrowError(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not an IDX file`));
    await expect(readIdx(put('badtype.idx', idxBytes(0x07, [2], new Uint8Array(2))))).rejects.toThrowError(/unknown IDX element type 0x07/);
  });

  it('rejects truncated raw and gzip files with HubelError (format)', async () => {
    const full = idxBytes(0x08, [3, 4, 5], pixels);
    const raw = readIdx(put('trunc.idx', full.subarray(0, full.length - 7)));
    await expect(raw).rejects.toThrowError(/truncated: the IDX header declares dims \[3, 4, 5\] of ubyte = 60 data bytes, the file holds 53/);
    // A gzip stream cut short: zlib reports an unexpected end of input.
    const gz = gzipSync(full);
    await expect(readIdx(put('trunc.idx.gz', gz.subarray(0, gz.length - 10)))).rejects.toThrowError(HubelError);
    await expect(readIdx(put('head.idx', full.subarray(0, 9)))).rejects.toThrowError(/truncated IDX header/);
  });

  it('rejects a header claiming 4 billion elements without allocating them (raw and gzip)', async () => {
    const huge = idxBytes(0x08, [0xffffffff, 28, 28], new Uint8Array(100));
    await expect(readIdx(put('huge.idx', huge))).rejects.toThrowError(/truncated.*the file holds 100/);
    await expect(readIdx(put('huge.idx.gz', gzipSync(huge)))).rejects.toThrowError(/truncated.*the file holds 100/);
  });

  it('rejects trailing bytes beyond what the header declares', async () => {
    await expect(readIdx(put('long.idx', idxBytes(0x08, [2], new Uint8Array(5))))).rejects.toThrowError(/more data than the IDX header declares/);
  });

  it('checks the expected rank and type', async () => {
    const p = put('r1.idx', idxBytes(0x08, [4], new Uint8Array(4)));
    await expect(readIdx(p, { rank: 3 })).rejects.toThrowError(/expected an IDX file with 3 dimension\(s\), found 1/);
    await expect(readIdx(p, { type: 'int32' })).rejects.toThrowError(/expected IDX element type int32, found ubyte/);
  });

  it('gives an io error for a missing file', async () => {
    await expect(readIdx(join(dir, 'nope.idx'))).rejects.toThrowError(/nope\.idx: cannot read \(ENOENT\)/);
  });
});

describe('loadMnist', () => {
  const n = 5;
  const seed = 23;
  const images = randomBytes(n * 28 * 28, seed);
  const labels = Uint8Array.from([3, 0, 9, 9, 1]);
  put('train-images-idx3-ubyte.gz', gzipSync(idxBytes(0x08, [n, 28, 28], images)), 'ok');
  put('train-labels-idx1-ubyte', idxBytes(0x08, [n], labels), 'ok');

  it(`scales pixels to [0, 1] as [N, 1, 28, 28] float32 with int32 labels (seed ${seed})`, async () => {
    const { dataset, classNames } = await loadMnist(join(dir, 'ok'));
    expect(dataset.length).toBe(n);
    expect(dataset.inputShape).toEqual([1, 28, 28]);
    expect(dataset.x).toBeInstanceOf(Float32Array);
    expect(dataset.y).toBeInstanceOf(Int32Array);
    expect(Array.from(dataset.y)).toEqual([3, 0, 9, 9, 1]);
    // float32(b / 255) differs from b * (1/255) in float32 by at most one ulp (~6e-8 near 1).
    for (let i = 0; i < images.length; i += 97) expect(Math.abs(dataset.x[i] - images[i] / 255)).toBeLessThan(1.2e-7);
    expect(classNames).toHaveLength(10);
  });

  it('honours limit', async () => {
    const { dataset } = await loadMnist(join(dir, 'ok'), { limit: 2 });
    expect(dataset.length).toBe(2);
    expect(Array.from(dataset.y)).toEqual([3, 0]);
  });

  it('reports an image/label count mismatch naming both files', async () => {
    put('train-images-idx3-ubyte', idxBytes(0x08, [n, 28, 28], images), 'mismatch');
    put('train-labels-idx1-ubyte', idxBytes(0x08, [n - 1], labels.subarray(0, n - 1)), 'mismatch');
    await expect(loadMnist(join(dir, 'mismatch'))).rejects.toThrowError(/5 images in .*train-images-idx3-ubyte but 4 labels in .*train-labels-idx1-ubyte/);
  });

  it('reports a missing directory, a missing file, and an out-of-range label', async () => {
    await expect(loadMnist(join(dir, 'absent'))).rejects.toThrowError(/data directory .*absent does not exist/);
    await expect(loadMnist(join(dir, 'ok'), { split: 'test' })).rejects.toThrowError(/no test images file \(looked for t10k-images-idx3-ubyte\.gz/);
    put('train-images-idx3-ubyte', idxBytes(0x08, [1, 28, 28], images.subarray(0, 784)), 'badlabel');
    put('train-labels-idx1-ubyte', idxBytes(0x08, [1], Uint8Array.of(12)), 'badlabel');
    await expect(loadMnist(join(dir, 'badlabel'))).rejects.toThrowError(/label 12 at index 0 is outside \[0, 10\)/);
  });

  it('loads the bundled Fashion-MNIST sample: 4,000 + 1,000 images, balanced, with class names', async () => {
    const train = await loadMnist(FASHION_MNIST_SAMPLE_DIR);
    const test = await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test' });
    expect([train.dataset.length, test.dataset.length]).toEqual([4000, 1000]);
    const counts = new Array(10).fill(0);
    for (const y of train.dataset.y) counts[y]++;
    expect(counts).toEqual(new Array(10).fill(400));
    expect(train.classNames[9]).toBe('Ankle boot');
  });
});
