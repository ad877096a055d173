// The conformance harness's element comparison (harness.ts, firstMismatch): ONNX's tolerance
// for finite values, exact matching for infinities and NaN.
import { describe, expect, it } from 'vitest';
import { firstMismatch } from './harness.js';

const f = (a: number[], e: number[]) => firstMismatch(Float32Array.from(a), Float64Array.from(e));

describe('conformance comparison (firstMismatch)', () => {
  it('accepts finite values within 1e-7 + 1e-3·|e| and rejects those just outside', () => {
    expect(f([1000.9, -1e-8, 0], [1000, 0, 5e-8])).toBeUndefined();
    expect(f([1001.2], [1000])).toMatch(/element 0: 1001\.2\d* vs expected 1000/);
    expect(f([0, 3e-7], [0, 0])).toMatch(/element 1/);
  });

  it('matches an infinity only with the same infinity', () => {
    expect(f([-Infinity, Infinity, 2], [-Infinity, Infinity, 2])).toBeUndefined();
    expect(f([Infinity], [-Infinity])).toBe('element 0: Infinity vs expected -Infinity');
    expect(f([-Infinity], [Infinity])).toBe('element 0: -Infinity vs expected Infinity');
    // A finite value, however large, is not infinity (and float32's largest is not either).
    expect(f([3.4028234663852886e38], [Infinity])).toMatch(/element 0: .* vs expected Infinity/);
    expect(f([1], [-Infinity])).toBe('element 0: 1 vs expected -Infinity');
    expect(f([NaN], [Infinity])).toBe('element 0: NaN vs expected Infinity');
  });

  it('rejects an infinite actual value against a finite expected one', () => {
    expect(f([0, Infinity], [0, 1e30])).toBe('element 1: Infinity vs expected 1e+30');
    expect(f([-Infinity], [-5])).toBe('element 0: -Infinity vs expected -5');
  });

  it('matches NaN only with NaN', () => {
    expect(f([NaN, 1], [NaN, 1])).toBeUndefined();
    expect(f([NaN], [0])).toBe('element 0: NaN vs expected 0');
    expect(f([0], [NaN])).toBe('element 0: 0 vs expected NaN');
    expect(f([-Infinity], [NaN])).toBe('element 0: -Infinity vs expected NaN');
  });

  it('reports the first mismatching element and differing lengths', () => {
    expect(f([1, 2, 9, 9], [1, 2, 3, 4])).toBe('element 2: 9 vs expected 3');
    expect(f([1, 2], [1, 2, 3])).toBe('2 values vs expected 3');
  });
});
