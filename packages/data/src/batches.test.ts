import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, Rng } from '@hubel/core';
import { batchIndices, iterateBatches, trainValidationSplit } from '@hubel/data';
import { describe, expect, it } from 'vitest';

const collect = (n: number, seed: number, batchSize = 4, dropLast = false) => [...batchIndices(n, { batchSize, seed, dropLast })].map((b) => Array.from(b));

describe('batchIndices', () => {
  it('is deterministic under a seed and differs across seeds', () => {
    expect(collect(50, 7)).toEqual(collect(50, 7));
    expect(collect(50, 7)).not.toEqual(collect(50, 8));
  });

  it('visits every index exactly once, in batches of the requested size', () => {
    const batches = collect(50, 3, 8);
    expect(batches.map((b) => b.length)).toEqual([8, 8, 8, 8, 8, 8, 2]);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(collect(50, 3, 8, true).map((b) => b.length)).toEqual([8, 8, 8, 8, 8, 8]);
    expect([...batchIndices(5, { batchSize: 2, shuffle: false })].map((b) => Array.from(b))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('iterateBatches uploads exactly the indexed examples', async () => {
    const backend = createCpuBackend();
    const x = Float32Array.from({ length: 12 * 2 }, (_, i) => i);
    const y = Int32Array.from({ length: 12 }, (_, i) => i % 3);
    const data = new ArrayDataset(x, [2], y, [], 3);
    for (const b of iterateBatches(data, backend, { batchSize: 5, seed: 1 })) {
      const xs = await b.x.read();
      const ys = await b.y.read();
      b.indices.forEach((i, k) => {
        expect([xs[2 * k], xs[2 * k + 1]]).toEqual([2 * i, 2 * i + 1]);
        expect(ys[k]).toBe(i % 3);
      });
      b.x.dispose();
      b.y.dispose();
    }
  });
});

describe('trainValidationSplit', () => {
  const seed = 99;
  const rng = new Rng(seed);
  const n = 103;
  const y = Int32Array.from({ length: n }, () => rng.int(4));
  const data = new ArrayDataset(Float32Array.from({ length: n }, (_, i) => i), [1], y, [], 4);

  it(`gives disjoint parts covering the set, stratified by class (seed ${seed})`, () => {
    const { train, validation } = trainValidationSplit(data, { validation: 0.2, seed });
    expect(validation.length).toBe(Math.round(n * 0.2));
    const ids = [...train.x, ...validation.x].sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let c = 0; c < 4; c++) {
      const total = y.filter((v) => v === c).length;
      const inVal = validation.y.filter((v) => v === c).length;
      // Largest-remainder apportionment: each class gets floor or ceil of its exact share.
      expect(Math.abs(inVal - (total * validation.length) / n)).toBeLessThan(1);
    }
    expect(Array.from(trainValidationSplit(data, { validation: 0.2, seed }).validation.x)).toEqual(Array.from(validation.x));
  });

  it('rejects sizes that leave a part empty', () => {
    expect(() => trainValidationSplit(data, { validation: n })).toThrowError(/validation must be a fraction in \(0, 1\) or a count in \[1, 102\] for 103 examples, found 103/);
  });
});
