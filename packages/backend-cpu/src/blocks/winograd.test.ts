import { availableParallelism } from 'node:os';
import { availableCpuKernels, createCpuBackend, gemmThreadStats, setGemmThreads, type ConvGeometry } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Every term of the direct r×r stride-1 correlation with padding,
 * y[n, o, h, w] = Σ x[n, c, h − pt + i, w − pl + j]·W[o, c, i, j], as the flat indices of its
 * x, y and W elements (terms reading the padding are skipped).
 */
function eachTerm(n: number, c: number, cOut: number, inH: number, inW: number, g: ConvGeometry, term: (xi: number, yi: number, wi: number) => void): void {
  const r = g.kernelH;
  for (let im = 0; im < n; im++)
    for (let o = 0; o < cOut; o++)
      for (let h = 0; h < g.outH; h++)
        for (let ww = 0; ww < g.outW; ww++)
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < r; i++)
              for (let j = 0; j < r; j++) {
                const ih = h - g.padTop + i, iw = ww - g.padLeft + j;
                if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) term(((im * c + ci) * inH + ih) * inW + iw, ((im * cOut + o) * g.outH + h) * g.outW + ww, ((o * c + ci) * r + i) * r + j);
              }
}

/** The convolution itself, y = b[o] + Σ x·W. */
function direct(x: number[], [n, c, inH, inW]: number[], w: number[], cOut: number, b: number[] | undefined, g: ConvGeometry): Float64Array {
  const plane = g.outH * g.outW;
  const y = Float64Array.from({ length: n * cOut * plane }, (_, i) => (b ? b[Math.floor(i / plane) % cOut] : 0));
  eachTerm(n, c, cOut, inH, inW, g, (xi, yi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

/** Its input gradient from the definition: dx[xi] = Σ dy[yi]·W[wi] over the terms that read x[xi]. */
function inputGradient(dy: number[], w: number[], n: number, c: number, cOut: number, inH: number, inW: number, g: ConvGeometry): Float64Array {
  const dx = new Float64Array(n * c * inH * inW);
  eachTerm(n, c, cOut, inH, inW, g, (xi, yi, wi) => (dx[xi] += dy[yi] * w[wi]));
  return dx;
}

/** Its weight gradient from the definition: dW[wi] = Σ dy[yi]·x[xi] over the terms that use W[wi]. */
function weightGradient(x: number[], dy: number[], n: number, c: number, cOut: number, inH: number, inW: number, g: ConvGeometry): Float64Array {
  const dw = new Float64Array(cOut * c * g.kernelH * g.kernelW);
  eachTerm(n, c, cOut, inH, inW, g, (xi, yi, wi) => (dw[wi] += dy[yi] * x[xi]));
  return dw;
}

function geometry(r: number, channels: number, inH: number, inW: number, pads: [number, number, number, number]): ConvGeometry {
  const [pt, pl, pb, pr] = pads;
  return { channels, inH, inW, kernelH: r, kernelW: r, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: pt, padLeft: pl, outH: inH + pt + pb - r + 1, outW: inW + pl + pr - r + 1 };
}

const cases: { r: number; n: number; c: number; cOut: number; inH: number; inW: number; pads: [number, number, number, number] }[] = [
  { r: 3, n: 2, c: 3, cOut: 5, inH: 6, inW: 7, pads: [1, 1, 1, 1] }, // 'same': odd output width (last tiles stick out)
  { r: 3, n: 1, c: 4, cOut: 2, inH: 5, inW: 5, pads: [0, 0, 0, 0] }, // valid: 3×3 output
  { r: 3, n: 3, c: 2, cOut: 3, inH: 4, inW: 9, pads: [2, 0, 1, 2] }, // uneven pads
  { r: 3, n: 1, c: 1, cOut: 1, inH: 3, inW: 3, pads: [2, 2, 2, 2] }, // full: output larger than the input
  { r: 5, n: 2, c: 3, cOut: 4, inH: 7, inW: 8, pads: [2, 2, 2, 2] }, // 'same' 5×5, odd output height
  { r: 5, n: 1, c: 2, cOut: 3, inH: 6, inW: 9, pads: [0, 3, 1, 0] }, // uneven pads
  { r: 5, n: 2, c: 1, cOut: 2, inH: 5, inW: 5, pads: [4, 4, 4, 4] }, // full
];

describe('Winograd F(2×2, r×r) against the direct convolution', () => {
  // float64 (TypeScript), and float32 on every kernel path this engine has (wasm transforms and
  // GEMM, or TypeScript).
  const modes = [['float64', undefined] as const, ...availableCpuKernels().map((kn) => ['float32', kn] as const)];
  for (const [dtype, kernels] of modes)
    for (const [t, k] of cases.entries()) {
      const label = `${dtype}${kernels ? ` (${kernels} kernels)` : ''}: ${k.r}×${k.r}, ${k.n}×${k.c}×${k.inH}×${k.inW} → ${k.cOut}, pads ${k.pads.join(',')}`;
      it(`forward with bias, the adjoint (input gradient) and the weight gradient, ${label}`, async () => {
        const be = createCpuBackend({ dtype, kernels });
        const r = new Rng(t + 1);
        const g = geometry(k.r, k.c, k.inH, k.inW, k.pads);
        const xv = Array.from({ length: k.n * k.c * k.inH * k.inW }, () => r.normal());
        const wv = Array.from({ length: k.cOut * k.c * k.r * k.r }, () => r.normal());
        const bv = Array.from({ length: k.cOut }, () => r.normal());
        const round = (v: number[]) => (dtype === 'float32' ? Array.from(Float32Array.from(v)) : v);
        const [x, w, b] = [round(xv), round(wv), round(bv)];
        const y = await be.blocks.winogradConv(be.tensor(x, [k.n, k.c, k.inH, k.inW]), be.tensor(w, [k.cOut, k.c, k.r, k.r]), g, { bias: be.tensor(b, [k.cOut]) }).read();
        const ref = direct(x, [k.n, k.c, k.inH, k.inW], w, k.cOut, b, g);
        expect(y.length).toBe(ref.length);
        // Each output sums r²C ≤ 100 products of N(0,1) values, rearranged through transforms
        // whose coefficients reach 5 (5×5 Bᵀ) and whose intermediate sums grow ≲ 20× the inputs:
        // float64 error ≪ 1e-11; float32 (2⁻²⁴ ≈ 6e-8 per operation, ~50 operations deep)
        // below 100·20·50·6e-8 ≈ 6e-3 — the tolerance, 1e-3, is tighter and holds.
        const tol = dtype === 'float64' ? 1e-11 : 1e-3;
        ref.forEach((v, i) => expect(Math.abs(y[i] - v), `y[${i}]`).toBeLessThan(tol));

        // Adjoint: the input gradient for an output gradient dy, computed as a convolution of dy
        // with pads 2 − the forward's (over outH×outW → inH×inW).
        const dyv = round(Array.from({ length: ref.length }, () => r.normal()));
        const gAdj: ConvGeometry = { ...g, channels: k.cOut, inH: g.outH, inW: g.outW, padTop: k.r - 1 - g.padTop, padLeft: k.r - 1 - g.padLeft, outH: k.inH, outW: k.inW };
        const dx = await be.blocks.winogradConv(be.tensor(dyv, [k.n, k.cOut, g.outH, g.outW]), be.tensor(w, [k.cOut, k.c, k.r, k.r]), gAdj, { adjoint: true }).read();
        const dxRef = inputGradient(dyv, w, k.n, k.c, k.cOut, k.inH, k.inW, g);
        expect(dx.length).toBe(dxRef.length);
        dxRef.forEach((v, i) => expect(Math.abs(dx[i] - v), `dx[${i}]`).toBeLessThan(dtype === 'float64' ? 1e-11 : 1e-3 * (k.cOut / k.c + 1)));

        // Weight gradient by the transforms run backwards. Each dW sums N·outH·outW ≤ 162
        // products (more terms than an output), through Gᵀ's 1/24-weighted sums of up to 16:
        // float64 ≪ 1e-10; float32 scaled by the number of terms as for dx.
        const dw = await be.blocks.winogradFilterGrad(be.tensor(x, [k.n, k.c, k.inH, k.inW]), be.tensor(dyv, [k.n, k.cOut, g.outH, g.outW]), g).read();
        const dwRef = weightGradient(x, dyv, k.n, k.c, k.cOut, k.inH, k.inW, g);
        expect(dw.length).toBe(dwRef.length);
        const terms = k.n * g.outH * g.outW;
        dwRef.forEach((v, i) => expect(Math.abs(dw[i] - v), `dw[${i}]`).toBeLessThan(dtype === 'float64' ? 1e-10 : 1e-3 * Math.max(1, terms / 25)));

        // A training pass keeps the input tiles from the forward pass: same numbers, bit for bit.
        const xt = be.tensor(x, [k.n, k.c, k.inH, k.inW]);
        const tiles = be.blocks.winogradInputTiles(xt, g);
        // α² planes of C·tiles values, each rounded up to an odd number of 16-value lines.
        const plane = k.c * k.n * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
        expect(tiles.shape[0]).toBe((k.r + 1) ** 2);
        expect(tiles.shape[1] >= plane && tiles.shape[1] < plane + 32 && (tiles.shape[1] / 16) % 2 === 1).toBe(true);
        expect(await be.blocks.winogradConv(xt, be.tensor(w, [k.cOut, k.c, k.r, k.r]), g, { bias: be.tensor(b, [k.cOut]), tiles }).read()).toEqual(y);
        expect(await be.blocks.winogradFilterGrad(xt, be.tensor(dyv, [k.n, k.cOut, g.outH, g.outW]), g, { tiles }).read()).toEqual(dw);
      });
    }

  it.each(availableCpuKernels())('transforms shared by the worker threads (planes split among them) give bitwise the one-thread results (%s kernels)', async (kernels) => {
    afterAll(() => setGemmThreads(Math.max(1, Math.min(4, availableParallelism()))));
    // 8 images of 16×14×14 → 16, 5×5 pad 2: 128 planes of 49 tiles × 36 — above the
    // threshold (2¹⁷ scalars) at which the transforms go to the threads.
    const be = createCpuBackend({ kernels });
    const r = new Rng(11);
    const g = geometry(5, 16, 14, 14, [2, 2, 2, 2]);
    const x = be.tensor(Float32Array.from({ length: 8 * 16 * 196 }, () => r.normal()), [8, 16, 14, 14]);
    const w = be.tensor(Float32Array.from({ length: 16 * 16 * 25 }, () => r.normal()), [16, 16, 5, 5]);
    const b = be.tensor(Float32Array.from({ length: 16 }, () => r.normal()), [16]);
    const dy = be.tensor(Float32Array.from({ length: 8 * 16 * 196 }, () => r.normal()), [8, 16, 14, 14]);
    const gAdj: ConvGeometry = { ...g, channels: 16, padTop: 2, padLeft: 2 };
    const all = async () => {
      const tiles = be.blocks.winogradInputTiles(x, g);
      return Promise.all([
        be.blocks.winogradConv(x, w, g, { bias: b }).read(),
        be.blocks.winogradConv(dy, w, gAdj, { adjoint: true }).read(),
        be.blocks.winogradFilterGrad(x, dy, g).read(),
        be.blocks.winogradFilterGrad(x, dy, g, { tiles }).read(),
        tiles.read(),
      ]);
    };
    setGemmThreads(1);
    const one = await all();
    setGemmThreads(2);
    const before = gemmThreadStats().planeTasks;
    const two = await all();
    expect(gemmThreadStats().planeTasks - before).toBeGreaterThanOrEqual(6);
    two.forEach((t, i) => expect(t, `result ${i}`).toEqual(one[i]));
    // And the forward output is the convolution (float32 through 5×5 transforms: as above).
    const ref = direct(Array.from(await x.read()), [8, 16, 14, 14], Array.from(await w.read()), 16, Array.from(await b.read()), g);
    ref.forEach((v, i) => expect(Math.abs(two[0][i] - v), `y[${i}]`).toBeLessThan(5e-3));
  });

  it('rejects what it cannot compute, naming the shapes', () => {
    const be = createCpuBackend();
    const g = geometry(3, 2, 5, 5, [1, 1, 1, 1]);
    const x = be.zeros([1, 2, 5, 5]);
    expect(() => be.blocks.winogradConv(x, be.zeros([4, 3, 3, 3]), g)).toThrowError(/winogradConv: input \[1, 2, 5, 5\] and weight \[4, 3, 3, 3\] are not a 3×3 or 5×5 convolution over 2 channels/);
    expect(() => be.blocks.winogradConv(x, be.zeros([4, 2, 4, 4]), g)).toThrowError(/are not a 3×3 or 5×5 convolution/);
    expect(() => be.blocks.winogradConv(x, be.zeros([4, 2, 3, 3]), { ...g, strideH: 2 })).toThrowError(/needs a 3×3 kernel, stride 1 and dilation 1/);
    expect(() => be.blocks.winogradConv(x, be.zeros([4, 2, 3, 3]), g, { tiles: be.zeros([16, 2, 8]) })).toThrowError(/winogradConv: input tiles \[16, 2, 8\] hold 256 values, 768 expected/);
    expect(() => be.blocks.winogradInputTiles(be.zeros([1, 3, 5, 5]), g)).toThrowError(/winogradInputTiles: input \[1, 3, 5, 5\] does not match a 3×3 convolution \(3×3 or 5×5\) over 2×5×5/);
    expect(() => be.blocks.winogradFilterGrad(x, be.zeros([1, 4, 4, 5]), g)).toThrowError(/winogradFilterGrad: input \[1, 2, 5, 5\] and output gradient \[1, 4, 4, 5\] do not match a convolution over 2 channels with 5×5 outputs/);
    expect(() => be.blocks.winogradFilterGrad(x, be.zeros([1, 4, 5, 5]), { ...g, dilationW: 2 })).toThrowError(/winogradFilterGrad: needs a 3×3 or 5×5 kernel \(found 3×3\), stride 1 and dilation 1/);
  });
});
