import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Rng, sizeOf } from '@hubel/core';
import { window2d, type WindowView } from '@hubel/backend-webgpu';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();

/** Plain loops over [outer, h, w, inner]: max (first maximum wins), avg, sum, sumsq, and the windows' members. */
function windowLoop(x: Float32Array, v: WindowView, op: 'max' | 'avg' | 'sum' | 'sumsq', oh: number, ow: number) {
  const { kh, kw, sh, sw, pt, pl, pb, pr, dh, dw } = v.window;
  const y = new Float64Array(v.outer * oh * ow * v.inner);
  const members: number[][] = [];
  const counts: number[] = [];
  let q = 0;
  for (let o = 0; o < v.outer; o++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let i = 0; i < v.inner; i++) {
          let acc = op === 'max' ? -Infinity : 0;
          let arg = -1;
          let padded = 0;
          const m: number[] = [];
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const yy = oy * sh - pt + ky * dh;
              const xx = ox * sw - pl + kx * dw;
              if (yy >= -pt && yy < v.h + pb && xx >= -pl && xx < v.w + pr) padded++;
              if (yy < 0 || yy >= v.h || xx < 0 || xx >= v.w) continue;
              const p = ((o * v.h + yy) * v.w + xx) * v.inner + i;
              m.push(p);
              const val = x[p];
              if (op === 'max') {
                if (val > acc) (acc = val), (arg = p);
              } else acc += op === 'sumsq' ? val * val : val;
            }
          const cnt = v.countIncludePad ? padded : m.length;
          y[q] = op === 'avg' ? acc / cnt : acc;
          members.push(op === 'max' ? [arg] : m);
          counts.push(cnt);
          q++;
        }
  return { y, members, counts };
}

gpu.describe(describe, 'window block (pooling, cross-channel sums) vs plain loops', (be) => {
  const views: { name: string; v: WindowView; oh: number; ow: number }[] = [
    { name: 'max/avg pool 3×3 stride 2 pad 1 over N·C = 6', v: { outer: 6, h: 7, w: 9, inner: 1, window: window2d({ kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 't') }, oh: 4, ow: 5 },
    { name: '2×2 stride 2 ceil mode, count_include_pad', v: { outer: 2, h: 5, w: 5, inner: 1, ceil: true, countIncludePad: true, window: window2d({ kernelShape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, 't') }, oh: 3, ow: 3 },
    { name: 'cross-channel window of 5 (LRN): C = 7 as H, H·W = 6 as inner', v: { outer: 2, h: 7, w: 1, inner: 6, window: window2d({ kernelShape: [5, 1], pads: [2, 0, 2, 0] }, 't') }, oh: 7, ow: 1 },
    { name: 'dilated 1-D window', v: { outer: 3, h: 1, w: 12, inner: 1, window: window2d({ kernelShape: [3], strides: [2], pads: [1, 1], dilations: [2] }, 't') }, oh: 1, ow: 5 },
  ];
  for (const { name, v, oh, ow } of views) {
    for (const op of ['max', 'avg', 'sum', 'sumsq'] as const) {
      it(`${name}: ${op} forward and backward (seed 51)`, async () => {
        const rng = new Rng(51);
        const n = v.outer * v.h * v.w * v.inner;
        const x = Float32Array.from({ length: n }, () => rng.normal());
        const { y, argmax } = be.blocks.window(be.tensor(x, [n]), v, op);
        const ref = windowLoop(x, v, op, oh, ow);
        expect(y.shape).toEqual([v.outer, oh, ow, v.inner]);
        const got = await y.read();
        const k = v.window.kh * v.window.kw;
        const g = ((k + 2) * 2 ** -24) / (1 - (k + 2) * 2 ** -24); // k float32 additions, a square, a division
        for (let i = 0; i < ref.y.length; i++) {
          const bound = op === 'max' ? 0 : g * ref.members[i].reduce((s, p) => s + x[p] * x[p] + Math.abs(x[p]), 0) + 1e-30;
          if (!(Math.abs(got[i] - ref.y[i]) <= bound)) throw new Error(`${op} output ${i}: ${got[i]} vs ${ref.y[i]} (seed 51)`);
        }
        if (op === 'sumsq') return;
        // Backward: the adjoint, computed by scattering dy over each window's members in float64.
        const dy = Float32Array.from({ length: ref.y.length }, () => rng.normal());
        const dx = await be.blocks.windowBackward(be.tensor(dy, y.shape), v, op, [n], argmax).read();
        const want = new Float64Array(n);
        const abs = new Float64Array(n);
        ref.members.forEach((m, j) => {
          for (const p of m) {
            const t = op === 'avg' ? dy[j] / ref.counts[j] : dy[j];
            want[p] += t;
            abs[p] += Math.abs(t);
          }
        });
        for (let i = 0; i < n; i++) {
          const bound = g * abs[i] + 1e-30;
          if (!(Math.abs(dx[i] - want[i]) <= bound)) throw new Error(`${op} backward element ${i}: ${dx[i]} vs ${want[i]} (seed 51)`);
        }
      });
    }
  }
});
