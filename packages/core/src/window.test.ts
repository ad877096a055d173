import { describe, expect, it } from 'vitest';
import { resolveWindowAxis, type WindowAxisSpec } from './window.js';

const axis = (o: Partial<WindowAxisSpec>): WindowAxisSpec => ({ inSize: 7, kernel: 3, stride: 1, dilation: 1, padBegin: 0, padEnd: 0, autoPad: 'NOTSET', ...o });

/** Output size by enumeration: windows starting at o·s − pb that end inside in + pe. */
function countWindows(a: WindowAxisSpec): number {
  const e = (a.kernel - 1) * a.dilation + 1;
  let n = 0;
  for (let start = -a.padBegin; start + e <= a.inSize + a.padEnd; start += a.stride) n++;
  return n;
}

describe('resolveWindowAxis (ONNX window arithmetic)', () => {
  it('explicit pads: floor((in + pb + pe − e) / s) + 1 equals the number of whole windows, over a grid of sizes', () => {
    for (let inSize = 1; inSize <= 12; inSize++)
      for (const kernel of [1, 2, 3, 5])
        for (const stride of [1, 2, 3])
          for (const dilation of [1, 2])
            for (const [padBegin, padEnd] of [[0, 0], [1, 0], [0, 2], [2, 1]]) {
              const a = axis({ inSize, kernel, stride, dilation, padBegin, padEnd });
              const r = resolveWindowAxis(a);
              const e = (kernel - 1) * dilation + 1;
              expect(r.extent).toBe(e);
              expect(r.fits).toBe(inSize + padBegin + padEnd >= e);
              expect(r.outSize, JSON.stringify(a)).toBe(r.fits ? countWindows(a) : 0);
            }
  });
  it('SAME_UPPER / SAME_LOWER give ⌈in / s⌉ outputs; an odd total pad goes to the end (UPPER) or the beginning (LOWER)', () => {
    // in 7, k 4, s 2: out 4, total (4 − 1)·2 + 4 − 7 = 3.
    expect(resolveWindowAxis(axis({ kernel: 4, stride: 2, autoPad: 'SAME_UPPER' }))).toEqual({ padBegin: 1, padEnd: 2, outSize: 4, extent: 4, fits: true });
    expect(resolveWindowAxis(axis({ kernel: 4, stride: 2, autoPad: 'SAME_LOWER' }))).toEqual({ padBegin: 2, padEnd: 1, outSize: 4, extent: 4, fits: true });
    // Explicit pads are ignored by SAME_* and VALID.
    expect(resolveWindowAxis(axis({ padBegin: 5, padEnd: 5, autoPad: 'VALID' }))).toEqual({ padBegin: 0, padEnd: 0, outSize: 5, extent: 3, fits: true });
    for (let inSize = 1; inSize <= 10; inSize++)
      for (const stride of [1, 2, 3])
        expect(resolveWindowAxis(axis({ inSize, stride, kernel: 3, autoPad: 'SAME_UPPER' })).outSize).toBe(Math.ceil(inSize / stride));
  });
  it('ceil mode rounds up but drops a last window that would start in the end padding', () => {
    // in 5, k 2, s 2: floor 2 windows, ceil 3 (the third starts at 4 < 5).
    expect(resolveWindowAxis(axis({ inSize: 5, kernel: 2, stride: 2, ceilMode: true })).outSize).toBe(3);
    expect(resolveWindowAxis(axis({ inSize: 5, kernel: 2, stride: 2 })).outSize).toBe(2);
    // in 4, k 2, s 2, pad end 1: span 3, ceil(3/2) + 1 = 3, but window 2 starts at 4 = in + pb: dropped.
    expect(resolveWindowAxis(axis({ inSize: 4, kernel: 2, stride: 2, padEnd: 1, ceilMode: true })).outSize).toBe(2);
  });
});
