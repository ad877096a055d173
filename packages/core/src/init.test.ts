import { fans, initialize, Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

function stats(v: Float64Array) {
  let s = 0, s2 = 0, max = 0;
  for (const x of v) { s += x; s2 += x * x; max = Math.max(max, Math.abs(x)); }
  return { mean: s / v.length, variance: s2 / v.length - (s / v.length) ** 2, max };
}

describe('initializers', () => {
  it('computes fans for [out, in, kh, kw] weights', () => {
    expect(fans([64, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 1600 });
    expect(fans([10, 784])).toEqual({ fanIn: 784, fanOut: 10 });
  });

  it.each([
    // Uniform(−a, a) has variance a²/3; normal has the variance itself. 40,000 draws: the
    // sample variance's relative standard error is about √(0.8/n) ≈ 0.5% (uniform) and
    // √(2/n) ≈ 0.7% (normal); 5% is several times that.
    ['heUniform', [200, 50, 2, 2], 2 / 200, Math.sqrt(6 / 200)],
    ['heNormal', [200, 50, 2, 2], 2 / 200, Infinity],
    ['xavierUniform', [100, 400], 2 / 500, Math.sqrt(6 / 500)],
    ['xavierNormal', [100, 400], 2 / 500, Infinity],
  ] as const)('%s has the variance its formula gives', (name, shape, variance, bound) => {
    const v = initialize(name, shape, new Rng(1));
    const s = stats(v);
    expect(Math.abs(s.variance / variance - 1)).toBeLessThan(0.05);
    expect(Math.abs(s.mean)).toBeLessThan(5 * Math.sqrt(variance / v.length));
    expect(s.max).toBeLessThanOrEqual(bound);
  });

  it('supports constants and custom functions, checking their length', () => {
    expect(Array.from(initialize({ kind: 'constant', value: 0.25 }, [3], new Rng(0)))).toEqual([0.25, 0.25, 0.25]);
    expect(() => initialize(() => [1, 2], [3], new Rng(0))).toThrowError(/initializer returned 2 values for shape \[3\]/);
  });
});
