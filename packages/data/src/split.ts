import { ArrayDataset, HubelError, Rng } from '@hubel/core';

/** Options of the train/validation split. */
export interface SplitOptions {
  /** Validation size: a fraction in (0, 1) or a count of examples. */
  readonly validation: number;
  /** Seed of the shuffle choosing the validation examples; default 0. */
  readonly seed?: number;
  /** Keep class proportions equal in both parts (class-label datasets). Default true. */
  readonly stratify?: boolean;
}

/**
 * Splits a dataset into disjoint training and validation parts with a seeded draw. Both
 * parts keep the original order of their examples. Throws when either part would be empty.
 */
export function trainValidationSplit(data: ArrayDataset, o: SplitOptions): { train: ArrayDataset; validation: ArrayDataset } {
  const n = data.length;
  const count = o.validation > 0 && o.validation < 1 ? Math.round(n * o.validation) : o.validation;
  if (!(Number.isInteger(count) && count > 0 && count < n)) {
    throw new HubelError('attribute', `trainValidationSplit: validation must be a fraction in (0, 1) or a count in [1, ${n - 1}] for ${n} examples, found ${o.validation}`);
  }
  const rng = new Rng(o.seed ?? 0);
  const isVal = new Uint8Array(n);
  if (o.stratify !== false && data.targetDType === 'int32' && data.classes !== undefined) {
    const byClass = groupByClass(data.y as Int32Array, data.classes);
    // Largest-remainder apportionment so that class shares sum exactly to `count`.
    const quotas = byClass.map((ix) => (ix.length * count) / n);
    const take = quotas.map(Math.floor);
    let left = count - take.reduce((a, b) => a + b, 0);
    const order = quotas.map((q, c) => [q - Math.floor(q), c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, c] of order) {
      if (left > 0 && take[c] < byClass[c].length) {
        take[c]++;
        left--;
      }
    }
    byClass.forEach((ix, c) => {
      rng.shuffle(ix);
      for (let k = 0; k < take[c]; k++) isVal[ix[k]] = 1;
    });
  } else {
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    for (let k = 0; k < count; k++) isVal[order[k]] = 1;
  }
  const trainIx: number[] = [];
  const valIx: number[] = [];
  for (let i = 0; i < n; i++) (isVal[i] ? valIx : trainIx).push(i);
  return { train: data.subset(trainIx), validation: data.subset(valIx) };
}

/**
 * Indices of a class-balanced sample: `perClass` examples of each class drawn with a seeded
 * shuffle, returned in ascending order. Throws naming the class when one has too few examples.
 */
export function balancedSample(labels: ArrayLike<number>, classes: number, perClass: number, seed = 0): Int32Array {
  const byClass = groupByClass(labels, classes);
  const rng = new Rng(seed);
  const out: number[] = [];
  byClass.forEach((ix, c) => {
    if (ix.length < perClass) throw new HubelError('attribute', `balancedSample: class ${c} has ${ix.length} examples, ${perClass} requested`);
    rng.shuffle(ix);
    for (let k = 0; k < perClass; k++) out.push(ix[k]);
  });
  return Int32Array.from(out).sort();
}

function groupByClass(labels: ArrayLike<number>, classes: number): Int32Array[] {
  const counts = new Int32Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < classes)) throw new HubelError('shape', `label ${y} at index ${i} is outside [0, ${classes})`);
    counts[y]++;
  }
  const groups = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(classes);
  for (let i = 0; i < labels.length; i++) groups[labels[i]][fill[labels[i]]++] = i;
  return groups;
}
