import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@hubel/core';
import { decodeCifar10, loadCifar10 } from '@hubel/data';
import { describe, expect, it } from 'vitest';

/** n CIFAR-10 records written from the format's definition: label byte, then R, G, B planes. */
function records(labels: number[], seed: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((l, i) => {
    out[i * 3073] = l;
    for (let j = 1; j < 3073; j++) out[i * 3073 + j] = rng.int(256);
  });
  return out;
}

describe('CIFAR-10 binary reader', () => {
  const seed = 5;
  it(`puts pixel (c, y, x) of record i at NCHW [i, c, y, x], scaled to [0, 1] (seed ${seed})`, () => {
    const bytes = records([7, 2], seed);
    const { x, y } = decodeCifar10(bytes);
    expect(Array.from(y)).toEqual([7, 2]);
    for (const [i, c, r, col] of [[0, 0, 0, 0], [0, 2, 31, 31], [1, 1, 5, 17], [1, 0, 31, 0]]) {
      const byte = bytes[i * 3073 + 1 + c * 1024 + r * 32 + col];
      // float32(b·(1/255)) is within one float32 ulp (< 1.2e-7 on [0, 1]) of b/255.
      expect(Math.abs(x[((i * 3 + c) * 32 + r) * 32 + col] - byte / 255)).toBeLessThan(1.2e-7);
    }
  });

  it('rejects a partial record and a label outside [0, 10)', () => {
    expect(() => decodeCifar10(records([1], seed).subarray(0, 3000), 'x.bin')).toThrowError(/x\.bin: 3000 bytes is not a whole number of CIFAR-10 records \(3073 bytes each/);
    expect(() => decodeCifar10(records([1, 10], seed), 'y.bin')).toThrowError(/y\.bin: record 1 has label 10, outside \[0, 10\)/);
  });

  it('loads five training batches and the test batch from a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubel-cifar-'));
    const root = join(dir, 'cifar-10-batches-bin');
    mkdirSync(root);
    for (let b = 1; b <= 5; b++) writeFileSync(join(root, `data_batch_${b}.bin`), records([b, b + 1], seed + b));
    writeFileSync(join(root, 'test_batch.bin'), records([9], seed));
    const train = await loadCifar10(dir);
    expect(train.dataset.length).toBe(10);
    expect(train.dataset.inputShape).toEqual([3, 32, 32]);
    expect(Array.from(train.dataset.y)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    const test = await loadCifar10(dir, { split: 'test' });
    expect(Array.from(test.dataset.y)).toEqual([9]);
    expect(test.classNames[0]).toBe('airplane');
    writeFileSync(join(root, 'test_batch.bin'), records([9], seed).subarray(0, 100));
    await expect(loadCifar10(dir, { split: 'test' })).rejects.toThrowError(/test_batch\.bin: 100 bytes is not a whole number/);
  });
});
