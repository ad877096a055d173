import { Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('restores its exact state, including a pending normal deviate', () => {
    const r = new Rng(7);
    r.normal(); // leaves the Box–Muller spare pending
    const s = r.getState();
    const next = [r.normal(), r.uniform(), r.normal()];
    const q = new Rng(0);
    q.setState(s);
    expect([q.normal(), q.uniform(), q.normal()]).toEqual(next);
  });

  it('draws uniforms and normals with the right first two moments', () => {
    // n = 200,000: the sample mean's standard error is σ/√n ≈ 0.0013 (uniform) and 0.0022
    // (normal); 5 standard errors give the bounds below.
    const r = new Rng(3);
    const n = 200_000;
    let su = 0, su2 = 0, sn = 0, sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      su += u; su2 += u * u;
      const z = r.normal();
      sn += z; sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(su2 / n - su ** 2 / n ** 2 - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(sn / n)).toBeLessThan(5 * Math.sqrt(1 / n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('shuffles into a permutation', () => {
    const a = Int32Array.from({ length: 100 }, (_, i) => i);
    new Rng(1).shuffle(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
