// Cross-validation splits. Folds are stratified: each class's examples are shuffled by a
// seeded stream and dealt to the folds in turn, so every fold holds ⌊n_c/K⌋ or ⌈n_c/K⌉ of
// class c, and the same seed gives the same folds.
import { ArrayDataset, HubelError, Rng } from '@hubel/core';

/**
 * Assigns each example a fold in [0, k): within each label, a seeded shuffle then dealing in
 * turn (the deal of class c starts where class c−1's stopped, so fold sizes stay within one).
 * Throws when k < 2 or k exceeds the number of examples.
 */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed: number): Int32Array {
  if (!(Number.isInteger(k) && k >= 2)) throw new HubelError('attribute', `--folds: cross-validation needs at least 2 folds, found ${k} (1 holds out a validation fraction)`);
  if (k > labels.length) throw new HubelError('attribute', `--folds: ${k} folds but only ${labels.length} examples`);
  const rng = new Rng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const fold = new Int32Array(labels.length);
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(c)!;
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (const i of idx) fold[i] = next++ % k;
  }
  return fold;
}

/**
 * A stratified hold-out: the fold assignment of {@link stratifiedFolds} reduced to two parts,
 * 1 for validation (about `fraction` of each class) and 0 for training.
 */
export function holdoutFold(labels: ArrayLike<number>, fraction: number, seed: number): Int32Array {
  if (!(fraction > 0 && fraction < 1)) throw new HubelError('attribute', `--validation: the held-out fraction must be in (0, 1), found ${fraction}`);
  const rng = new Rng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    if (!byClass.has(labels[i])) byClass.set(labels[i], []);
    byClass.get(labels[i])!.push(i);
  }
  const part = new Int32Array(labels.length);
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(c)!;
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx.slice(0, Math.round(fraction * idx.length)).forEach((i) => (part[i] = 1));
  }
  return part;
}

/** The training part (every fold but `fold`) and the validation part (`fold`) of a data set, in index order. */
export function foldSplit(data: ArrayDataset, folds: Int32Array, fold: number): { train: ArrayDataset; validation: ArrayDataset } {
  if (folds.length !== data.length) throw new HubelError('shape', `folds: ${folds.length} assignments for ${data.length} examples`);
  const pick = (keep: (f: number) => boolean): ArrayDataset => {
    const idx: number[] = [];
    folds.forEach((f, i) => keep(f) && idx.push(i));
    const xs = data.x.length / data.length, ys = data.y.length / data.length;
    const x = new Float32Array(idx.length * xs);
    const y = new (data.y.constructor as Int32ArrayConstructor)(idx.length * ys);
    idx.forEach((i, j) => {
      x.set(data.x.subarray(i * xs, (i + 1) * xs), j * xs);
      y.set(data.y.subarray(i * ys, (i + 1) * ys), j * ys);
    });
    return new ArrayDataset(x, data.inputShape, y, data.targetShape, data.classes);
  };
  return { train: pick((f) => f !== fold), validation: pick((f) => f === fold) };
}
