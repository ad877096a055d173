// Which configurations a search tries. Grid: the Cartesian product (a range contributes
// `points` evenly spaced values, log-spaced for a log range). Random: independent draws from
// a seeded stream, uniform over choices and ranges (log-uniform for log ranges). Successive
// halving: many configurations at few epochs, the best 1/η kept and their epochs doubled.
import { HubelError, Rng } from '@hubel/core';
import type { SearchConfig, SearchDimension, SearchSpace, SearchValue } from './space.js';

/**
 * Every combination of the space's values, the last dimension varying fastest; a range gives
 * `points` values (default 3) from min to max, log-spaced for a log range, rounded for
 * integer keys (duplicates dropped). Throws when the grid would exceed `limit` (default 10,000).
 */
export function gridConfigs(space: SearchSpace, points = 3, limit = 10_000): SearchConfig[] {
  const axes = space.map((d) => gridValues(d, points));
  const size = axes.reduce((n, a) => n * a.length, 1);
  if (size > limit) throw new HubelError('attribute', `--space: the grid has ${size} configurations (more than ${limit}); use --strategy random`);
  let out: Record<string, SearchValue>[] = [{}];
  space.forEach((d, i) => {
    out = out.flatMap((c) => axes[i].map((v) => ({ ...c, [d.key]: v })));
  });
  return out;
}

function gridValues(d: SearchDimension, points: number): SearchValue[] {
  if (d.kind === 'choice') return [...d.values];
  const n = d.min === d.max ? 1 : Math.max(2, points);
  const vs = Array.from({ length: n }, (_, i) => {
    const t = n === 1 ? 0 : i / (n - 1);
    // The ends are exact (exp(log(x)) need not be x).
    const v = i === 0 ? d.min : i === n - 1 ? d.max : d.log ? Math.exp(Math.log(d.min) + t * (Math.log(d.max) - Math.log(d.min))) : d.min + t * (d.max - d.min);
    return d.integer ? Math.round(v) : v;
  });
  return [...new Set(vs)];
}

/** `n` configurations drawn independently from the space by a stream seeded with `seed` (same seed, same list). */
export function randomConfigs(space: SearchSpace, n: number, seed: number): SearchConfig[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Object.fromEntries(space.map((d) => [d.key, sample(d, rng)])));
}

function sample(d: SearchDimension, rng: Rng): SearchValue {
  if (d.kind === 'choice') return d.values[rng.int(d.values.length)];
  const u = rng.uniform();
  const v = d.log ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min))) : d.min + u * (d.max - d.min);
  return d.integer ? Math.min(d.max, Math.max(d.min, Math.round(v))) : v;
}

/** One round of successive halving: how many configurations survive to it and at how many epochs. */
export interface HalvingRung {
  /** 0-based round. */
  readonly rung: number;
  /** Configurations trained in this round: ⌈n / η^rung⌉. */
  readonly configs: number;
  /** Epochs each is trained for: `epochs` · 2^rung. */
  readonly epochs: number;
}

/**
 * The rounds of successive halving for `n` configurations: round r trains the best ⌈n/η^r⌉ of
 * the previous round for `epochs`·2^r epochs, until one configuration is left (at most
 * `maxRungs` rounds, default 4). Throws when η < 2.
 */
export function halvingRungs(n: number, epochs: number, eta = 3, maxRungs = 4): HalvingRung[] {
  if (!(eta >= 2)) throw new HubelError('attribute', `successive halving: η must be at least 2, found ${eta}`);
  const rungs: HalvingRung[] = [];
  for (let r = 0; r < maxRungs; r++) {
    const configs = Math.ceil(n / eta ** r);
    rungs.push({ rung: r, configs, epochs: epochs * 2 ** r });
    if (configs <= 1) break;
  }
  return rungs;
}
