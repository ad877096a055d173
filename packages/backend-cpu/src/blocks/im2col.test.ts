import { availableCpuKernels, col2im, createCpuBackend, im2col, padSource, transpose, type ConvGeometry } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

function geometry(p: Partial<ConvGeometry> & Pick<ConvGeometry, 'channels' | 'inH' | 'inW' | 'kernelH' | 'kernelW'>): ConvGeometry {
  const g = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, ...p };
  const padBottom = 1, padRight = 2; // extra end padding, so windows also run off the far edge
  return {
    ...g,
    outH: g.outH ?? Math.floor((g.inH + g.padTop + padBottom - (g.kernelH - 1) * g.dilationH - 1) / g.strideH) + 1,
    outW: g.outW ?? Math.floor((g.inW + g.padLeft + padRight - (g.kernelW - 1) * g.dilationW - 1) / g.strideW) + 1,
  };
}

/** The definition, as a loop over every (row, column) entry: x at the tap's position or 0 in the padding. */
function naiveCols(x: ArrayLike<number>, g: ConvGeometry): Float64Array {
  const l = g.outH * g.outW;
  const cols = new Float64Array(g.channels * g.kernelH * g.kernelW * l);
  for (let c = 0; c < g.channels; c++)
    for (let i = 0; i < g.kernelH; i++)
      for (let j = 0; j < g.kernelW; j++)
        for (let oh = 0; oh < g.outH; oh++)
          for (let ow = 0; ow < g.outW; ow++) {
            const ih = oh * g.strideH - g.padTop + i * g.dilationH, iw = ow * g.strideW - g.padLeft + j * g.dilationW;
            const inside = ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW;
            cols[((c * g.kernelH + i) * g.kernelW + j) * l + oh * g.outW + ow] = inside ? x[(c * g.inH + ih) * g.inW + iw] : 0;
          }
  return cols;
}

const geometries: ConvGeometry[] = [
  geometry({ channels: 2, inH: 5, inW: 6, kernelH: 3, kernelW: 3 }),
  geometry({ channels: 3, inH: 7, inW: 5, kernelH: 3, kernelW: 2, strideH: 2, strideW: 3, padTop: 2, padLeft: 1 }),
  geometry({ channels: 1, inH: 8, inW: 9, kernelH: 2, kernelW: 3, dilationH: 3, dilationW: 2, padTop: 1, padLeft: 3, strideW: 2 }),
  geometry({ channels: 2, inH: 1, inW: 11, kernelH: 1, kernelW: 4, strideW: 2, dilationW: 2, padLeft: 2 }), // 1-D as H = 1
  geometry({ channels: 1, inH: 3, inW: 2, kernelH: 1, kernelW: 1, padTop: 4, padLeft: 5, strideH: 3, strideW: 4 }), // padding wider than the image
];

describe('im2col / col2im against plain loops', () => {
  for (const [t, g] of geometries.entries()) {
    const label = `${g.channels}×${g.inH}×${g.inW}, kernel ${g.kernelH}×${g.kernelW}, stride ${g.strideH},${g.strideW}, dilation ${g.dilationH},${g.dilationW}, pad ${g.padTop},${g.padLeft}`;
    it(`im2col: ${label}`, () => {
      const r = new Rng(t + 1);
      const x = Float64Array.from({ length: 3 + g.channels * g.inH * g.inW }, () => r.normal());
      const l = g.outH * g.outW, rows = g.channels * g.kernelH * g.kernelW;
      // Write into the second of two column blocks (ld = 2l) at an image offset of 3, as the batched block does.
      const cols = new Float64Array(rows * 2 * l).fill(NaN);
      im2col(x, 3, g, cols, l, 2 * l);
      const ref = naiveCols(x.subarray(3), g);
      for (let row = 0; row < rows; row++) expect(Array.from(cols.subarray(row * 2 * l + l, row * 2 * l + 2 * l)), `row ${row}`).toEqual(Array.from(ref.subarray(row * l, row * l + l)));
    });
    it(`col2im adds every column entry back at its source: ${label}`, () => {
      const r = new Rng(t + 50);
      const l = g.outH * g.outW, rows = g.channels * g.kernelH * g.kernelW;
      const cols = Float64Array.from({ length: rows * l }, () => r.normal());
      const dx = new Float64Array(g.channels * g.inH * g.inW).fill(0.25);
      col2im(cols, 0, l, g, dx, 0);
      // Reference: scatter through the same definition, entry by entry, onto the 0.25 already there.
      const ref = new Float64Array(dx.length).fill(0.25);
      const probe = Float64Array.from({ length: dx.length }, (_, i) => i + 1); // im2col of positions 1..n finds each entry's source
      const src = naiveCols(probe, g);
      src.forEach((s, e) => {
        if (s > 0) ref[s - 1] += cols[e];
      });
      // Sums of ≤ kH·kW terms in a different order: float64 error ≲ 10·2⁻⁵²·Σ|terms| < 1e-13.
      dx.forEach((v, i) => expect(Math.abs(v - ref[i]), `dx[${i}]`).toBeLessThan(1e-13));
    });
  }

  it('the tensor blocks batch N images into [C·kH·kW, N·L] columns and back', async () => {
    const be = createCpuBackend({ dtype: 'float64' });
    const g = geometries[1];
    const r = new Rng(77);
    const n = 3, per = g.channels * g.inH * g.inW, l = g.outH * g.outW, rows = g.channels * g.kernelH * g.kernelW;
    const xs = Array.from({ length: n * per }, () => r.normal());
    const cols = be.blocks.im2col(be.tensor(xs, [n, g.channels, g.inH, g.inW]), g);
    expect(cols.shape).toEqual([rows, n * l]);
    const got = await cols.read();
    for (let i = 0; i < n; i++) {
      const ref = naiveCols(xs.slice(i * per, (i + 1) * per), g);
      for (let row = 0; row < rows; row++) for (let j = 0; j < l; j++) expect(got[row * n * l + i * l + j]).toBe(ref[row * l + j]);
    }
    // ⟨col2im(c), x⟩ = ⟨c, im2col(x)⟩ (adjoint pair), with c = the columns themselves.
    const back = await be.blocks.col2im(cols, g, [n, g.channels, g.inH, g.inW]).read();
    const lhs = Array.from(back).reduce((s, v, i) => s + v * xs[i], 0);
    const rhs = Array.from(got).reduce((s, v) => s + v * v, 0);
    expect(Math.abs(lhs - rhs) / rhs).toBeLessThan(1e-12);
  });
});

describe('im2col / col2im: the WebAssembly kernels against the TypeScript loops', () => {
  // Row widths around the 4-wide vectors (5, 6, 7, 13, 28), strides, dilations, padding wider
  // than the image, and a LeNet-sized 5×5 layer; on every wasm path this engine has.
  const wide: ConvGeometry[] = [
    ...geometries,
    geometry({ channels: 3, inH: 28, inW: 28, kernelH: 5, kernelW: 5, padTop: 2, padLeft: 2 }),
    geometry({ channels: 2, inH: 13, inW: 13, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1 }),
    geometry({ channels: 2, inH: 7, inW: 7, kernelH: 3, kernelW: 3, dilationH: 2, dilationW: 2, padTop: 2, padLeft: 2 }),
  ];
  for (const path of availableCpuKernels().filter((p) => p !== 'ts')) {
    it(`${path}: the same columns and the same folded sums, bitwise, for ${wide.length} geometries (batch 3)`, async () => {
      const wasm = createCpuBackend({ kernels: path }), ts = createCpuBackend({ kernels: 'ts' });
      expect(wasm.description).toMatch(/WebAssembly/);
      for (const [t, g] of wide.entries()) {
        const r = new Rng(300 + t);
        const shape = [3, g.channels, g.inH, g.inW];
        const xs = Float32Array.from({ length: 3 * g.channels * g.inH * g.inW }, () => r.normal());
        const xw = wasm.tensor(xs, shape), xt = ts.tensor(xs, shape);
        // The wasm kernels address tensors in place: they must live in the shared heap.
        expect(wasm.data(xw).buffer instanceof SharedArrayBuffer).toBe(true);
        const cw = wasm.blocks.im2col(xw, g), ct = ts.blocks.im2col(xt, g);
        // Moves only: bitwise equal (toEqual on Float32Array compares every element).
        expect(await cw.read(), `im2col, geometry ${t}`).toEqual(await ct.read());
        // col2im adds in the TypeScript loop's order, each sum rounded to float32 (a float32 sum
        // computed in float64 and rounded is the correctly rounded float32 sum): bitwise equal too.
        const dw = await wasm.blocks.col2im(cw, g, shape).read(), dt = await ts.blocks.col2im(ct, g, shape).read();
        expect(dw, `col2im, geometry ${t}`).toEqual(dt);
      }
    });
  }
});

describe('transpose against index arithmetic', () => {
  it('every permutation of a 2×3×4 array, and a rank-4 one', () => {
    const shape = [2, 3, 4];
    const x = Float64Array.from({ length: 24 }, (_, i) => i);
    for (const perm of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]) {
      const out = new Float64Array(24);
      transpose(x, shape, perm, out);
      const os = perm.map((p) => shape[p]);
      for (let a = 0; a < os[0]; a++)
        for (let b = 0; b < os[1]; b++)
          for (let c = 0; c < os[2]; c++) {
            const idx = [0, 0, 0];
            idx[perm[0]] = a;
            idx[perm[1]] = b;
            idx[perm[2]] = c;
            expect(out[(a * os[1] + b) * os[2] + c], `perm ${perm}`).toBe((idx[0] * 3 + idx[1]) * 4 + idx[2]);
          }
    }
    const y = new Float64Array(120);
    transpose(Float64Array.from({ length: 120 }, (_, i) => i), [2, 3, 4, 5], [3, 1, 0, 2], y);
    // y[d, b, a, c] = x[a, b, c, d]; spot-check y[4, 2, 1, 3] = x[1, 2, 3, 4].
    expect(y[((4 * 3 + 2) * 2 + 1) * 4 + 3]).toBe(((1 * 3 + 2) * 4 + 3) * 5 + 4);
  });
});

describe('transpose [1, 0, 2] and GEMM bias on the WebAssembly kernels', () => {
  for (const path of availableCpuKernels().filter((p) => p !== 'ts')) {
    it(`${path}: bitwise equal to the TypeScript loops for ragged shapes`, async () => {
      const wasm = createCpuBackend({ kernels: path }), ts = createCpuBackend({ kernels: 'ts' });
      const r = new Rng(91);
      for (const shape of [[3, 5, 1], [2, 7, 3], [4, 3, 5], [8, 6, 196]]) {
        const xs = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => r.normal());
        const tw = await wasm.blocks.transpose(wasm.tensor(xs, shape), [1, 0, 2]).read();
        expect(tw, `transpose ${shape}`).toEqual(await ts.blocks.transpose(ts.tensor(xs, shape), [1, 0, 2]).read());
        // And against the definition: out[b, a, c] = x[a, b, c].
        const [A, B, C] = shape;
        expect(tw[(1 * A + (A - 1)) * C + (C - 1)]).toBe(xs[((A - 1) * B + 1) * C + (C - 1)]);
      }
      // k = 1: each product is one float32-rounded multiplication on both paths, so the bias adds
      // (float32 sums either way) are all that is compared. Odd column counts reach the scalar tail.
      for (const [m, n] of [[1, 1], [5, 7], [9, 33]]) {
        const a = Float32Array.from({ length: m }, () => r.normal()), b = Float32Array.from({ length: n }, () => r.normal());
        const rowBias = Float32Array.from({ length: m }, () => r.normal()), colBias = Float32Array.from({ length: n }, () => r.normal());
        const run = (be: ReturnType<typeof createCpuBackend>) =>
          be.blocks.gemm(be.tensor(a, [m, 1]), be.tensor(b, [1, n]), { rowBias: be.tensor(rowBias, [m]), colBias: be.tensor(colBias, [n]) }).read();
        const got = await run(wasm);
        expect(got, `gemm bias ${m}×${n}`).toEqual(await run(ts));
        expect(got[n * (m - 1) + n - 1]).toBe(Math.fround(Math.fround(Math.fround(a[m - 1] * b[n - 1]) + colBias[n - 1]) + rowBias[m - 1]));
      }
    });
  }
});

describe('padSource', () => {
  it('maps each padded position to its source, −1 for constant fill', () => {
    // [2, 3] padded by 1 row above, 2 columns right.
    expect(Array.from(padSource([2, 3], [1, 0, 0, 2], 'constant'))).toEqual([-1, -1, -1, -1, -1, 0, 1, 2, -1, -1, 3, 4, 5, -1, -1]);
    expect(Array.from(padSource([2, 3], [1, 0, 0, 2], 'edge'))).toEqual([0, 1, 2, 2, 2, 0, 1, 2, 2, 2, 3, 4, 5, 5, 5]);
    expect(Array.from(padSource([2, 3], [1, 0, 0, 2], 'reflect'))).toEqual([3, 4, 5, 4, 3, 0, 1, 2, 1, 0, 3, 4, 5, 4, 3]);
  });
});
