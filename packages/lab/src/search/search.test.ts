// Search spaces, strategies and folds: parsing and its errors, grid/random/halving lists,
// and stratified folds checked by counting each class per fold.
import { ArrayDataset } from '@hubel/core';
import { describe, expect, it } from 'vitest';
import { foldSplit, formatLeaderboard, gridConfigs, halvingRungs, holdoutFold, parseSearchSpace, randomConfigs, rankTrials, stratifiedFolds, type TrialRecord } from '@hubel/lab';

describe('parseSearchSpace', () => {
  it('inline: ranges (log and linear), numeric and named choices', () => {
    const space = parseSearchSpace('lr=1e-4..1e-2:log,wd=1e-6..1e-3:log,batch=32|64,optimizer=adam|sgd,dropout=0.1|0.25|0.5,hidden=64|128');
    expect(space.map((d) => d.key)).toEqual(['lr', 'wd', 'batch', 'optimizer', 'dropout', 'hidden']);
    expect(space[0]).toEqual({ key: 'lr', kind: 'range', min: 1e-4, max: 1e-2, log: true, integer: false });
    expect(space[2]).toEqual({ key: 'batch', kind: 'choice', values: [32, 64] });
    expect(space[3]).toEqual({ key: 'optimizer', kind: 'choice', values: ['adam', 'sgd'] });
  });

  it('JSON object: arrays, inline strings and {min, max, log} give the same space as inline', () => {
    const a = parseSearchSpace({ lr: { min: 1e-4, max: 1e-2, log: true }, batch: [32, 64], optimizer: 'adam|sgd' });
    expect(a).toEqual(parseSearchSpace('lr=1e-4..1e-2:log,batch=32|64,optimizer=adam|sgd'));
  });

  it.each([
    ['', /search space is empty/],
    ['lr=1e-2..1e-4', /lr: the range 0.01..0.0001 is empty \(low > high\)/],
    ['wd=0..1e-3:log', /wd: a log range must be positive/],
    ['momentum=0.9|0.99', /unknown key 'momentum' \(known: lr, wd/],
    ['lr=1e-3,lr=1e-2', /'lr' is given twice/],
    ['optimizer=adam|rmsprop', /'rmsprop' is not one of adam, sgd/],
    ['optimizer=0..1', /takes a list of names/],
    ['batch=32|48.5', /48.5 is not an integer/],
    ['dropout=0.5|1.5', /1.5 is not a ratio/],
    ['batch=32|32', /listed twice/],
    ['lr', /not KEY=VALUES/],
  ])('rejects %j, naming --space', (spec, message) => {
    expect(() => parseSearchSpace(spec)).toThrow(/^--space: /);
    expect(() => parseSearchSpace(spec)).toThrow(message);
  });
});

describe('strategies', () => {
  it('grid: the Cartesian product, a log range as log-spaced points', () => {
    const grid = gridConfigs(parseSearchSpace('lr=1e-4..1e-2:log,optimizer=adam|sgd'), 3);
    expect(grid).toHaveLength(6);
    expect(grid.map((c) => c.optimizer)).toEqual(['adam', 'sgd', 'adam', 'sgd', 'adam', 'sgd']);
    expect(grid.map((c) => c.lr as number).filter((_, i) => i % 2 === 0).map((x) => Math.log10(x))).toEqual([-4, -3, -2].map((x) => expect.closeTo(x, 10)));
  });

  it('random: seeded (same seed, same list), inside the ranges, integer keys rounded', () => {
    const space = parseSearchSpace('lr=1e-4..1e-2:log,hidden=16..100,optimizer=adam|sgd');
    const a = randomConfigs(space, 50, 7);
    expect(randomConfigs(space, 50, 7)).toEqual(a);
    expect(randomConfigs(space, 50, 8)).not.toEqual(a);
    for (const c of a) {
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThanOrEqual(1e-2);
      expect(Number.isInteger(c.hidden)).toBe(true);
    }
    // Log-uniform: about half the draws fall below the geometric midpoint 1e-3.
    const below = randomConfigs(space, 400, 3).filter((c) => (c.lr as number) < 1e-3).length;
    expect(below).toBeGreaterThan(150);
    expect(below).toBeLessThan(250);
  });

  it('halving: ⌈n/η^r⌉ configurations at doubling epochs, down to one', () => {
    expect(halvingRungs(12, 1, 3)).toEqual([
      { rung: 0, configs: 12, epochs: 1 },
      { rung: 1, configs: 4, epochs: 2 },
      { rung: 2, configs: 2, epochs: 4 },
      { rung: 3, configs: 1, epochs: 8 },
    ]);
    expect(halvingRungs(4, 2, 2)).toEqual([
      { rung: 0, configs: 4, epochs: 2 },
      { rung: 1, configs: 2, epochs: 4 },
      { rung: 2, configs: 1, epochs: 8 },
    ]);
  });
});

describe('folds', () => {
  // 3 classes of 30, 21 and 10 examples, interleaved.
  const labels = Int32Array.from([...Array(30).fill(0), ...Array(21).fill(1), ...Array(10).fill(2)].map((c, i, a) => a[(i * 7) % a.length]));

  it('stratified: each class split evenly over the folds, the same for the same seed', () => {
    const k = 3;
    const folds = stratifiedFolds(labels, k, 5);
    expect(stratifiedFolds(labels, k, 5)).toEqual(folds);
    expect(stratifiedFolds(labels, k, 6)).not.toEqual(folds);
    for (const c of [0, 1, 2]) {
      const n = labels.filter((y) => y === c).length;
      const perFold = [0, 1, 2].map((f) => folds.filter((g, i) => g === f && labels[i] === c).length);
      expect(perFold.reduce((s, x) => s + x, 0)).toBe(n);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
    const sizes = [0, 1, 2].map((f) => folds.filter((g) => g === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('hold-out: about the fraction of each class', () => {
    const part = holdoutFold(labels, 0.2, 1);
    expect([0, 1, 2].map((c) => part.filter((p, i) => p === 1 && labels[i] === c).length)).toEqual([6, 4, 2]);
  });

  it('foldSplit: validation is the fold, training the rest, rows kept whole', () => {
    const x = Float32Array.from({ length: labels.length * 2 }, (_, i) => i);
    const data = new ArrayDataset(x, [2], labels, [], 3);
    const folds = stratifiedFolds(labels, 4, 1);
    const { train, validation } = foldSplit(data, folds, 2);
    expect(train.length + validation.length).toBe(labels.length);
    expect(validation.length).toBe(folds.filter((f) => f === 2).length);
    for (let j = 0; j < validation.length; j++) {
      const i = validation.x[2 * j] / 2;
      expect(folds[i]).toBe(2);
      expect(validation.x[2 * j + 1]).toBe(2 * i + 1);
      expect(validation.y[j]).toBe(labels[i]);
    }
  });

  it('rejects fewer than 2 folds or more folds than examples, naming --folds', () => {
    expect(() => stratifiedFolds(labels, 1, 1)).toThrow(/--folds/);
    expect(() => stratifiedFolds(Int32Array.from([0, 1]), 3, 1)).toThrow(/--folds: 3 folds but only 2 examples/);
  });
});

describe('leaderboard', () => {
  it('ranks each configuration by its longest trial, then mean error', () => {
    const t = (index: number, epochs: number, mean: number): TrialRecord => ({ index, config: { lr: index }, epochs, foldErrors: [mean], mean, std: 0, seconds: 1 });
    const ranked = rankTrials([t(0, 1, 0.1), t(1, 1, 0.3), t(2, 1, 0.2), t(2, 2, 0.25), t(0, 2, 0.15)]);
    expect(ranked.map((r) => [r.index, r.epochs])).toEqual([[0, 2], [2, 2], [1, 1]]);
    expect(formatLeaderboard(ranked)).toMatch(/\| 1 \| `lr=0` \| 15\.00 ± 0\.00 % \| 2 \| 1\.0 \|/);
  });
});
