import { describe, expect, it } from 'vitest';
import { firstNonFinite } from './nan-guard.js';

describe('NanGuard scan', () => {
  it('finds the first NaN, +Inf or −Inf and passes finite extremes', () => {
    const finite = Float32Array.of(0, -0, 1, -3.4e38, 3.4e38, 1e-45);
    expect(firstNonFinite(finite)).toBe(-1);
    expect(firstNonFinite(Float64Array.of(1.7e308, -1.7e308, 5e-324))).toBe(-1);
    for (const bad of [NaN, Infinity, -Infinity])
      for (const at of [0, 3, 5]) {
        const a = Float32Array.from(finite);
        a[at] = bad;
        if (at < 5) a[5] = NaN; // a later bad value must not win
        expect(firstNonFinite(a), `${bad} at ${at}`).toBe(at);
      }
    expect(firstNonFinite([])).toBe(-1);
  });
});
