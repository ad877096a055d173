import { createCpuBackend, type ConvGeometry } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

/** Direct 3×3 stride-1 correlation with padding: y[n, o, h, w] = b[o] + Σ x[n, c, h − pt + i, w − pl + j]·W[o, c, i, j]. */
function direct(x: number[], [n, c, inH, inW]: number[], w: number[], cOut: number, b: number[] | undefined, g: ConvGeometry): Float64Array {
  const y = new Float64Array(n * cOut * g.outH * g.outW);
  for (let im = 0; im < n; im++)
    for (let o = 0; o < cOut; o++)
      for (let h = 0; h < g.outH; h++)
        for (let ww = 0; ww < g.outW; ww++) {
          let s = b ? b[o] : 0;
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < 3; i++)
              for (let j = 0; j < 3; j++) {
                const ih = h - g.padTop + i, iw = ww - g.padLeft + j;
                if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) s += x[((im * c + ci) * inH + ih) * inW + iw] * w[((o * c + ci) * 3 + i) * 3 + j];
              }
          y[((im * cOut + o) * g.outH + h) * g.outW + ww] = s;
        }
  return y;
}

/** Input gradient of that convolution, straight from its definition: dx[n, c, ih, iw] += dy[n, o, h, w]·W[o, c, i, j]. */
function inputGradient(dy: number[], w: number[], n: number, c: number, cOut: number, inH: number, inW: number, g: ConvGeometry): Float64Array {
  const dx = new Float64Array(n * c * inH * inW);
  for (let im = 0; im < n; im++)
    for (let o = 0; o < cOut; o++)
      for (let h = 0; h < g.outH; h++)
        for (let ww = 0; ww < g.outW; ww++)
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < 3; i++)
              for (let j = 0; j < 3; j++) {
                const ih = h - g.padTop + i, iw = ww - g.padLeft + j;
                if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) dx[((im * c + ci) * inH + ih) * inW + iw] += dy[((im * cOut + o) * g.outH + h) * g.outW + ww] * w[((o * c + ci) * 3 + i) * 3 + j];
              }
  return dx;
}

function geometry(channels: number, inH: number, inW: number, pads: [number, number, number, number]): ConvGeometry {
  const [pt, pl, pb, pr] = pads;
  return { channels, inH, inW, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: pt, padLeft: pl, outH: inH + pt + pb - 2, outW: inW + pl + pr - 2 };
}

const cases: { n: number; c: number; cOut: number; inH: number; inW: number; pads: [number, number, number, number] }[] = [
  { n: 2, c: 3, cOut: 5, inH: 6, inW: 7, pads: [1, 1, 1, 1] }, // 'same': odd output width (last tiles stick out)
  { n: 1, c: 4, cOut: 2, inH: 5, inW: 5, pads: [0, 0, 0, 0] }, // valid: 3×3 output
  { n: 3, c: 2, cOut: 3, inH: 4, inW: 9, pads: [2, 0, 1, 2] }, // uneven pads
  { n: 1, c: 1, cOut: 1, inH: 3, inW: 3, pads: [2, 2, 2, 2] }, // full: output larger than the input
];

describe('Winograd F(2×2, 3×3) against the direct convolution', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const [t, k] of cases.entries()) {
      const label = `${dtype}: ${k.n}×${k.c}×${k.inH}×${k.inW} → ${k.cOut}, pads ${k.pads.join(',')}`;
      it(`forward with bias and the adjoint (input gradient), ${label}`, async () => {
        const be = createCpuBackend({ dtype });
        const r = new Rng(t + 1);
        const g = geometry(k.c, k.inH, k.inW, k.pads);
        const xv = Array.from({ length: k.n * k.c * k.inH * k.inW }, () => r.normal());
        const wv = Array.from({ length: k.cOut * k.c * 9 }, () => r.normal());
        const bv = Array.from({ length: k.cOut }, () => r.normal());
        const round = (v: number[]) => (dtype === 'float32' ? Array.from(Float32Array.from(v)) : v);
        const [x, w, b] = [round(xv), round(wv), round(bv)];
        const y = await be.blocks.winogradConv3x3(be.tensor(x, [k.n, k.c, k.inH, k.inW]), be.tensor(w, [k.cOut, k.c, 3, 3]), g, { bias: be.tensor(b, [k.cOut]) }).read();
        const ref = direct(x, [k.n, k.c, k.inH, k.inW], w, k.cOut, b, g);
        expect(y.length).toBe(ref.length);
        // Each output sums 9C products of N(0,1) values (|terms| ≲ 9C·1), rearranged through
        // transforms with coefficients ≤ 1: float64 error ≪ 1e-12, float32 (2⁻²⁴ ≈ 6e-8 per
        // operation, ~40 operations deep) below 9C·40·6e-8 ≲ 1e-4.
        const tol = dtype === 'float64' ? 1e-12 : 1e-4;
        ref.forEach((v, i) => expect(Math.abs(y[i] - v), `y[${i}]`).toBeLessThan(tol));

        // Adjoint: the input gradient for an output gradient dy, computed as a convolution of dy
        // with pads 2 − the forward's (over outH×outW → inH×inW).
        const dyv = round(Array.from({ length: ref.length }, () => r.normal()));
        const gAdj: ConvGeometry = { ...g, channels: k.cOut, inH: g.outH, inW: g.outW, padTop: 2 - g.padTop, padLeft: 2 - g.padLeft, outH: k.inH, outW: k.inW };
        const dx = await be.blocks.winogradConv3x3(be.tensor(dyv, [k.n, k.cOut, g.outH, g.outW]), be.tensor(w, [k.cOut, k.c, 3, 3]), gAdj, { adjoint: true }).read();
        const dxRef = inputGradient(dyv, w, k.n, k.c, k.cOut, k.inH, k.inW, g);
        expect(dx.length).toBe(dxRef.length);
        dxRef.forEach((v, i) => expect(Math.abs(dx[i] - v), `dx[${i}]`).toBeLessThan(dtype === 'float64' ? 1e-12 : 1e-4 * (k.cOut / k.c + 1)));
      });
    }

  it('rejects what it cannot compute, naming the shapes', () => {
    const be = createCpuBackend();
    const g = geometry(2, 5, 5, [1, 1, 1, 1]);
    const x = be.zeros([1, 2, 5, 5]);
    expect(() => be.blocks.winogradConv3x3(x, be.zeros([4, 3, 3, 3]), g)).toThrowError(/winogradConv3x3: input \[1, 2, 5, 5\] and weight \[4, 3, 3, 3\] are not a 3×3 convolution over 2 channels/);
    expect(() => be.blocks.winogradConv3x3(x, be.zeros([4, 2, 3, 3]), { ...g, strideH: 2 })).toThrowError(/needs a 3×3 kernel, stride 1 and dilation 1/);
  });
});
