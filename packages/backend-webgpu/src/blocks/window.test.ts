import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Rng, sizeOf } from '@hubel/core';
import { window2d, windowView, type WindowView } from '@hubel/backend-webgpu';
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

gpu.describe(describe, 'window block: 3-D windows (depth axis) vs a plain loop', (be) => {
  // [outer = 2, D = 5, H = 4, W = 6]; window 3×2×3, strides 2×1×2, dilations 1×2×1, pads
  // (front, top, left) = (1, 0, 1), (back, bottom, right) = (1, 1, 0). Output extents per axis:
  // floor((5 + 2 − 3) / 2) + 1 = 3, floor((4 + 1 − 3) / 1) + 1 = 3, floor((6 + 1 − 3) / 2) + 1 = 3.
  const axes = [
    { inSize: 5, outSize: 3, kernel: 3, stride: 2, dilation: 1, padBegin: 1, padEnd: 1 },
    { inSize: 4, outSize: 3, kernel: 2, stride: 1, dilation: 2, padBegin: 0, padEnd: 1 },
    { inSize: 6, outSize: 3, kernel: 3, stride: 2, dilation: 1, padBegin: 1, padEnd: 0 },
  ];
  const outer = 2;
  for (const [op, cip] of [['max', false], ['avg', false], ['avg', true], ['sum', false]] as const) {
    it(`${op}${cip ? ' countIncludePad' : ''}: forward and backward (seed 52)`, async () => {
      const rng = new Rng(52);
      const inPlane = 5 * 4 * 6;
      const x = Float32Array.from({ length: outer * inPlane }, () => rng.normal());
      const v = windowView(outer, axes, 1, cip);
      const { y, argmax } = be.blocks.window(be.tensor(x, [outer, 5, 4, 6]), v, op);
      expect(y.shape).toEqual([outer, 3, 3, 3, 1]);
      // Plain loop: every output enumerates its 18 taps and tests each coordinate.
      const want: number[] = [];
      const members: number[][] = [];
      const counts: number[] = [];
      for (let o = 0; o < outer; o++)
        for (let oz = 0; oz < 3; oz++)
          for (let oy = 0; oy < 3; oy++)
            for (let ox = 0; ox < 3; ox++) {
              let acc = op === 'max' ? -Infinity : 0;
              let arg = -1;
              let padded = 0;
              const m: number[] = [];
              for (let kz = 0; kz < 3; kz++)
                for (let ky = 0; ky < 2; ky++)
                  for (let kx = 0; kx < 3; kx++) {
                    const p = [oz * 2 - 1 + kz, oy - 0 + ky * 2, ox * 2 - 1 + kx];
                    if (p.every((q, i) => q < axes[i].inSize + axes[i].padEnd)) padded++;
                    if (!p.every((q, i) => q >= 0 && q < axes[i].inSize)) continue;
                    const at = o * inPlane + (p[0] * 4 + p[1]) * 6 + p[2];
                    m.push(at);
                    if (op === 'max') {
                      if (x[at] > acc) (acc = x[at]), (arg = at);
                    } else acc += x[at];
                  }
              const cnt = cip ? padded : m.length;
              want.push(op === 'avg' ? acc / cnt : acc);
              members.push(op === 'max' ? [arg] : m);
              counts.push(op === 'avg' ? cnt : 1);
            }
      const got = await y.read();
      // max is exact (one of the inputs); sums: ≤ 18 float32 additions and one division,
      // (18 + 1)·2⁻²⁴ relative to Σ|x| (< 60) < 1e-4.
      want.forEach((w, i) => expect(Math.abs(got[i] - w), `${op} output ${i} (seed 52)`).toBeLessThan(op === 'max' ? 1e-30 : 1e-4));
      const dy = Float32Array.from({ length: want.length }, () => rng.normal());
      const dx = await be.blocks.windowBackward(be.tensor(dy, y.shape), v, op, [outer * inPlane], argmax).read();
      const wantDx = new Float64Array(outer * inPlane);
      members.forEach((m, j) => m.forEach((p) => (wantDx[p] += dy[j] / counts[j])));
      // Each element is in at most 2·1·2 = 4 windows (strides vs kernels): 4 float32 additions.
      wantDx.forEach((w, i) => expect(Math.abs(dx[i] - w), `${op} dx ${i} (seed 52)`).toBeLessThan(1e-5));
    });
  }
});
