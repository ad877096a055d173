// Winograd F(2×2, r×r) against im2col + GEMM in Chromium, on every CPU kernel path: the forward
// output, the input gradient (the adjoint convolution) and the weight gradient, each compared
// with the same quantities from im2col/col2im and GEMM in float64 (an independent algorithm).
// Then the Conv layer: at 8 input channels and a 3×3 or 5×5 stride-1 kernel it takes this path.
import { availableCpuKernels, createCpuBackend, type ConvGeometry, type CpuBackend, type CpuKernels } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential, type Tensor } from '@hubel/core';
import { Conv, convLayers } from '@hubel/layers-conv';
import { describe, expect, it } from 'vitest';

const SEED = 23;

function geometry(r: number, channels: number, inH: number, inW: number, [pt, pl, pb, pr]: number[]): ConvGeometry {
  return { channels, inH, inW, kernelH: r, kernelW: r, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: pt, padLeft: pl, outH: inH + pt + pb - r + 1, outW: inW + pl + pr - r + 1 };
}

/** y, dx and dW by im2col + GEMM on `be` (float64 here): y = W·cols, dx = col2im(Wᵀ·dy), dW = dy·colsᵀ. */
function im2colConv(be: CpuBackend, x: Tensor, w: Tensor, dy: Tensor, g: ConvGeometry, cOut: number) {
  const n = x.shape[0];
  const l = g.outH * g.outW;
  const cols = be.blocks.im2col(x, g);
  const w2 = be.blocks.reshape(w, [cOut, w.size / cOut]);
  const yT = be.blocks.gemm(w2, cols); // [Cout, N·L]
  const y = be.blocks.transpose(yT, [1, 0, 2], [cOut, n, l], [n, cOut, g.outH, g.outW]);
  const dyT = be.blocks.transpose(dy, [1, 0, 2], [n, cOut, l], [cOut, n * l]);
  const dx = be.blocks.col2im(be.blocks.gemm(w2, dyT, { transA: true }), g, x.shape);
  const dw = be.blocks.gemm(dyT, cols, { transB: true });
  return { y: Float64Array.from(be.readSync(y)), dx: Float64Array.from(be.readSync(dx)), dw: Float64Array.from(be.readSync(dw)) };
}

/**
 * Float32 Winograd against an exact reference: each value sums T products of N(0, 1) numbers
 * through transforms whose coefficients reach 5 and whose partial sums grow ≲ 20× the inputs,
 * about 50 roundings deep, so its error stays below T·20·50·u (u = 2⁻²⁴): T = r²·C = 72 and 200
 * terms for outputs here (4e-3, 1.2e-2), N·outH·outW ≤ 126 for dW. A wrong tile, transform or
 * pad is off by O(1).
 */
function expectClose(got: ArrayLike<number>, want: Float64Array, terms: number, what: string): void {
  const tol = terms * 20 * 50 * 2 ** -24;
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol)) throw new Error(`${what}[${i}] = ${got[i]}, im2col float64 ${want[i]}: error ${err} > ${tol} (seed ${SEED})`);
  }
}

const shapes = [
  { r: 3, n: 2, c: 8, cOut: 4, inH: 9, inW: 7, pads: [1, 1, 1, 1] }, // 'same', odd output (tiles stick out)
  { r: 3, n: 1, c: 9, cOut: 3, inH: 6, inW: 8, pads: [0, 2, 1, 0] }, // uneven pads
  { r: 5, n: 2, c: 8, cOut: 2, inH: 7, inW: 6, pads: [2, 2, 2, 2] }, // 5×5 'same'
];

describe('Winograd F(2×2, r×r) against im2col + GEMM (float64) in Chromium', () => {
  for (const kernels of availableCpuKernels() as CpuKernels[])
    for (const k of shapes) {
      const label = `${kernels}: ${k.r}×${k.r}, ${k.n}×${k.c}×${k.inH}×${k.inW} → ${k.cOut}, pads ${k.pads.join(',')}`;
      it(`${label}: y, dx and dW`, () => {
        const r = new Rng(SEED + k.r + k.c);
        const g = geometry(k.r, k.c, k.inH, k.inW, k.pads);
        const xs = Float32Array.from({ length: k.n * k.c * k.inH * k.inW }, () => r.normal());
        const ws = Float32Array.from({ length: k.cOut * k.c * k.r * k.r }, () => r.normal());
        const dys = Float32Array.from({ length: k.n * k.cOut * g.outH * g.outW }, () => r.normal());
        const f64 = createCpuBackend({ dtype: 'float64' });
        const ref = im2colConv(f64, f64.tensor(xs, [k.n, k.c, k.inH, k.inW]), f64.tensor(ws, [k.cOut, k.c, k.r, k.r]), f64.tensor(dys, [k.n, k.cOut, g.outH, g.outW]), g, k.cOut);

        const be = createCpuBackend({ kernels });
        const x = be.tensor(xs, [k.n, k.c, k.inH, k.inW]);
        const w = be.tensor(ws, [k.cOut, k.c, k.r, k.r]);
        const dy = be.tensor(dys, [k.n, k.cOut, g.outH, g.outW]);
        expectClose(be.readSync(be.blocks.winogradConv(x, w, g)), ref.y, k.r * k.r * k.c, `${label} y`);
        const adjoint: ConvGeometry = { ...g, channels: k.cOut, inH: g.outH, inW: g.outW, padTop: k.r - 1 - g.padTop, padLeft: k.r - 1 - g.padLeft, outH: k.inH, outW: k.inW };
        expectClose(be.readSync(be.blocks.winogradConv(dy, w, adjoint, { adjoint: true })), ref.dx, k.r * k.r * k.cOut, `${label} dx`);
        expectClose(be.readSync(be.blocks.winogradFilterGrad(x, dy, g)), ref.dw, k.n * g.outH * g.outW, `${label} dW`);
      });
    }

  it('the Conv layer takes the Winograd path at 8 channels (3×3, stride 1): its y equals winogradConv bit for bit', async () => {
    const be = createCpuBackend();
    const registry = new Registry().use(convLayers);
    const r = new Rng(SEED);
    const x = be.tensor(Float32Array.from({ length: 2 * 8 * 10 * 10 }, () => r.normal()), [2, 8, 10, 10]);
    const model = new Sequential([null, 8, 10, 10], { registry }).add(Conv, { outChannels: 6, kernelShape: [3, 3], pads: [1, 1, 1, 1] }, 'conv').build({ backend: be, seed: SEED });
    const predicted = model.predict(x);
    const y = await predicted.read();
    predicted.dispose();
    const { W, B } = Object.fromEntries(model.params().map((p) => [p.name, p.tensor]));
    const wino = await be.blocks.winogradConv(x, W, geometry(3, 8, 10, 10, [1, 1, 1, 1]), { bias: B }).read();
    expect(y).toEqual(wino);
    model.dispose();
  });
});
