import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Rng, sizeOf } from '@hubel/core';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();

interface Geo {
  kernelShape: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

/** Plain nested loops: im2col of x [N, C, H, W] (1-D: H = 1) with ONNX's pads [begins, ends]. */
function im2colLoop(x: Float32Array, [n, c, h, w]: number[], g: Geo, oh: number, ow: number): Float64Array {
  const two = g.kernelShape.length === 2;
  const [kh, kw] = two ? g.kernelShape : [1, g.kernelShape[0]];
  const [sh, sw] = two ? g.strides : [1, g.strides[0]];
  const [dh, dw] = two ? g.dilations : [1, g.dilations[0]];
  const [pt, pl] = two ? [g.pads[0], g.pads[1]] : [0, g.pads[0]];
  const cols = new Float64Array(n * c * kh * kw * oh * ow);
  let q = 0;
  for (let ni = 0; ni < n; ni++)
    for (let ci = 0; ci < c; ci++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++)
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++) {
              const y = oy * sh - pt + ky * dh;
              const xx = ox * sw - pl + kx * dw;
              cols[q++] = y >= 0 && y < h && xx >= 0 && xx < w ? x[((ni * c + ci) * h + y) * w + xx] : 0;
            }
  return cols;
}

gpu.describe(describe, 'im2col/col2im blocks vs plain loops', (be) => {
  const cases: { name: string; x: number[]; g: Geo; out: [number, number] }[] = [
    { name: '2-D 3×3 pad 1', x: [2, 3, 5, 6], g: { kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] }, out: [5, 6] },
    { name: '2-D stride 2, asymmetric pads, dilation 2', x: [1, 2, 9, 7], g: { kernelShape: [2, 3], strides: [2, 2], pads: [1, 0, 2, 1], dilations: [2, 2] }, out: [5, 2] },
    { name: '1-D kernel 3 stride 2 pad (1, 2) dilation 2', x: [2, 3, 11], g: { kernelShape: [3], strides: [2], pads: [1, 2], dilations: [2] }, out: [1, 5] },
  ];
  for (const { name, x: xs, g, out } of cases) {
    it(`${name}: im2col equals the loop; col2im is its adjoint (⟨im2col x, r⟩ = ⟨x, col2im r⟩; seed 41)`, async () => {
      const rng = new Rng(41);
      const shape4 = xs.length === 4 ? xs : [xs[0], xs[1], 1, xs[2]];
      const x = Float32Array.from({ length: sizeOf(xs) }, () => rng.normal());
      expect(be.blocks.windowOutput(xs, g)).toEqual(out);
      const cols = be.blocks.im2col(be.tensor(x, xs), g);
      const want = im2colLoop(x, shape4, g, out[0], out[1]);
      expect(cols.shape).toEqual([xs[0], xs[1] * sizeOf(g.kernelShape), out[0] * out[1]]);
      expect(Array.from(await cols.read())).toEqual(Array.from(want)); // a gather: exact
      // col2im must be the transpose of im2col: the loop's scatter of r, summed in float64.
      const r = Float32Array.from({ length: want.length }, () => rng.normal());
      const dx = await be.blocks.col2im(be.tensor(r, cols.shape), xs, g).read();
      const unit = new Float32Array(x.length);
      const scatter = new Float64Array(x.length);
      const abs = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        unit.fill(0);
        unit[i] = 1;
        const e = im2colLoop(unit, shape4, g, out[0], out[1]);
        for (let q = 0; q < e.length; q++) if (e[q]) (scatter[i] += r[q]), (abs[i] += Math.abs(r[q]));
      }
      // At most kh·kw float32 additions per element: within γ_(kh·kw)·Σ|terms|.
      const k = sizeOf(g.kernelShape);
      for (let i = 0; i < x.length; i++) {
        const bound = ((k * 2 ** -24) / (1 - k * 2 ** -24)) * abs[i] + 1e-30;
        if (!(Math.abs(dx[i] - scatter[i]) <= bound)) throw new Error(`col2im element ${i}: ${dx[i]} vs ${scatter[i]} (seed 41)`);
      }
    });
  }

  it('rejects a window that does not fit', () => {
    expect(() => be.blocks.im2col(be.zeros([1, 1, 2, 2]), { kernelShape: [3, 3] })).toThrowError(/im2col: the window does not fit input \[1, 1, 2, 2\]/);
  });
});
