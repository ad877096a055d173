import { HubelError, Rng, type Backend, type Batch, type Dataset } from '@hubel/core';

/** Options of {@link batchIndices}. */
export interface BatchOrderOptions {
  /** Indices per batch (the last batch may be smaller unless `dropLast`). */
  readonly batchSize: number;
  /** Shuffle the order with `rng` (Fisher–Yates). Default true. */
  readonly shuffle?: boolean;
  /** Random stream for the shuffle; default `new Rng(seed)`. */
  readonly rng?: Rng;
  /** Seed used when no `rng` is given. Default 0. */
  readonly seed?: number;
  /** Drop a last batch smaller than `batchSize`. Default false. */
  readonly dropLast?: boolean;
}

/**
 * Splits 0…n−1 into mini-batches of indices, shuffled by a seeded stream: the same seed
 * gives the same batches. Each yielded array is a fresh view the caller may keep.
 */
export function* batchIndices(n: number, o: BatchOrderOptions): Generator<Int32Array> {
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0)) throw new HubelError('attribute', `batchIndices: batchSize must be a positive integer, found ${o.batchSize}`);
  if (!(Number.isInteger(n) && n >= 0)) throw new HubelError('attribute', `batchIndices: n must be a non-negative integer, found ${n}`);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (o.shuffle !== false) (o.rng ?? new Rng(o.seed ?? 0)).shuffle(order);
  const end = o.dropLast ? n - (n % o.batchSize) : n;
  for (let s = 0; s < end; s += o.batchSize) yield order.subarray(s, Math.min(s + o.batchSize, end));
}

/**
 * Iterates over a dataset in mini-batches on `backend` (one pass, seeded order). Each batch's
 * tensors belong to the caller: dispose them before asking for the next to keep memory flat.
 */
export function* iterateBatches(data: Dataset, backend: Backend, o: BatchOrderOptions): Generator<Batch & { readonly indices: Int32Array }> {
  for (const indices of batchIndices(data.length, o)) yield { ...data.batch(indices, backend), indices };
}
