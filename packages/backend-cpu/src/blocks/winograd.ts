/**
 * Winograd's minimal filtering F(2×2, r×r) (Lavin & Gray 2015) for r×r stride-1 convolutions,
 * r = 3 or 5: each 2×2 block of outputs comes from an α×α input tile d (α = r + 1) and the
 * filter g as
 *   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,
 * α² multiplications instead of 4r² (3×3: 16 vs 36; 5×5: 36 vs 100). Summed over input
 * channels, the elementwise products become α² independent GEMMs M_ξ = U_ξ · V_ξ (U_ξ:
 * [Cout, C] filter transforms, V_ξ: [C, T] tile transforms, T tiles) on the shared GEMM; only
 * the transforms are new loops. Element ξ = α·i + j of an α×α transform.
 *
 * The weight gradient goes through the same transforms backwards (the adjoint of each step):
 * dM = A dY Aᵀ per tile, dU_ξ = Σ_t dM_ξ V_ξᵀ (α² GEMMs summing over the tiles), dg = Gᵀ dU G.
 *
 * The matrices are Toom–Cook's at the points 0, ±1 (3×3) and 0, ±1, ±2 (5×5) and ∞, with the
 * fractions moved into G so the data transforms use small integers:
 *   3×3: Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 *        Aᵀ = [1 1 1 0; 0 1 −1 −1];
 *   5×5: Bᵀ = [4 0 −5 0 1 0; 0 4 4 −1 −1 0; 0 −4 4 1 −1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0;
 *        0 4 0 −5 0 1], G rows ¼[1 0 0 0 0], ⅙[1 1 1 1 1], ⅙[1 −1 1 −1 1],
 *        1⁄24[1 2 4 8 16], 1⁄24[1 −2 4 −8 16], [0 0 0 0 1], Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1].
 */
import { cpuKernels, residency, wasmState, type CpuKernels } from './wasm-kernels.js';
import type { WasmGemmState } from './gemm-wasm.js';
import { gemm, type F } from './gemm.js';
import { parallelPlanes } from './gemm-threads.js';

/** Where the tiles of one r×r stride-1 convolution lie: input [N, C, inH, inW], output [N, Cout, outH, outW]. */
export interface WinogradShape {
  /** Filter size r: 3 or 5. */
  readonly kernel: number;
  /** Batch size N. */
  readonly images: number;
  /** Input channels C. */
  readonly channels: number;
  /** Output channels Cout. */
  readonly outChannels: number;
  /** Input height. */
  readonly inH: number;
  /** Input width. */
  readonly inW: number;
  /** Input row/column of output (0, 0)'s window corner: −padTop, −padLeft (any integer). */
  readonly padTop: number;
  /** Padding left of the image: output column 0's window starts at input column −padLeft. */
  readonly padLeft: number;
  /** Output height. */
  readonly outH: number;
  /** Output width. */
  readonly outW: number;
  /** Float32 kernel path of the GEMMs (gemm's `kernels`); default cpuKernels(). */
  readonly kernels?: CpuKernels;
}

function checkKernel(r: number): number {
  if (r !== 3 && r !== 5) throw new RangeError(`winograd: only 3×3 and 5×5 filters are supported, found ${r}×${r}`);
  return r + 1;
}

/**
 * Distance between consecutive α² matrices (U_ξ, V_ξ, M_ξ) for matrices of `size` scalars:
 * rounded up to an odd number of 16-scalar (64-byte float32) lines. A plain size is often a
 * multiple of 4 KiB (e.g. 64 channels × 3136 tiles × 4 bytes), and then the α² writes of one
 * tile all land in the same L1 cache set and evict each other; an odd line count spreads them
 * over α² different sets (measured: the 6×6 transforms ~2× faster).
 */
export function winogradPlane(size: number): number {
  return 16 * (Math.ceil(size / 16) | 1);
}

/** Tiles per image along H and W (2×2 outputs each; the last ones may stick out). */
export function winogradTiles(s: WinogradShape): { tilesH: number; tilesW: number; tiles: number } {
  const tilesH = Math.ceil(s.outH / 2), tilesW = Math.ceil(s.outW / 2);
  return { tilesH, tilesW, tiles: s.images * tilesH * tilesW };
}

/** dst[k·dstStep] = (G·src)[k] for the r values src[k·srcStep] of one filter row or column: G of F(2, 3). */
function filterRows3(src: Float64Array, srcOff: number, srcStep: number, dst: Float64Array, dstOff: number, dstStep: number): void {
  const g0 = src[srcOff], g1 = src[srcOff + srcStep], g2 = src[srcOff + 2 * srcStep];
  dst[dstOff] = g0;
  dst[dstOff + dstStep] = 0.5 * (g0 + g1 + g2);
  dst[dstOff + 2 * dstStep] = 0.5 * (g0 - g1 + g2);
  dst[dstOff + 3 * dstStep] = g2;
}

/** The same with G of F(2, 5). */
function filterRows5(src: Float64Array, srcOff: number, srcStep: number, dst: Float64Array, dstOff: number, dstStep: number): void {
  const g0 = src[srcOff], g1 = src[srcOff + srcStep], g2 = src[srcOff + 2 * srcStep], g3 = src[srcOff + 3 * srcStep], g4 = src[srcOff + 4 * srcStep];
  dst[dstOff] = g0 / 4;
  dst[dstOff + dstStep] = (g0 + g1 + g2 + g3 + g4) / 6;
  dst[dstOff + 2 * dstStep] = (g0 - g1 + g2 - g3 + g4) / 6;
  dst[dstOff + 3 * dstStep] = (g0 + 2 * g1 + 4 * g2 + 8 * g3 + 16 * g4) / 24;
  dst[dstOff + 4 * dstStep] = (g0 - 2 * g1 + 4 * g2 - 8 * g3 + 16 * g4) / 24;
  dst[dstOff + 5 * dstStep] = g4;
}

/**
 * U[ξ, o, c] = (G g Gᵀ)[ξ] for the r×r filter g = w[o, c] ([Cout, C, r, r]). With `adjoint`, w
 * is read as the transposed, 180°-rotated filter of a [C, Cout, r, r] weight (the filter of the
 * convolution's input gradient): g[i, j] = w[c', o', r − 1 − i, r − 1 − j], o' = c, c' = o.
 */
export function winogradFilters(r: number, w: F, cOut: number, cIn: number, adjoint: boolean, u: F, kernels?: CpuKernels): void {
  const alpha = checkKernel(r);
  const path = kernels ?? cpuKernels();
  if (path !== 'ts' && w instanceof Float32Array && u instanceof Float32Array && residency(w, u, u) === 7) {
    // Four filters of one output channel per vector (wasm kernels), U_ξ a plane apart.
    const rr = r * r, k = wasmState(path).k;
    const filt = r === 3 ? k.wino_filt3 : k.wino_filt5;
    for (let o = 0; o < cOut; o++) filt(w.byteOffset + 4 * (adjoint ? o * rr : o * cIn * rr), 4 * (adjoint ? cOut * rr : rr), adjoint ? 1 : 0, cIn, u.byteOffset + 4 * o * cIn, winogradPlane(cOut * cIn));
    return;
  }
  const rows = r === 3 ? filterRows3 : filterRows5;
  const rr = r * r, aa = alpha * alpha, stride = winogradPlane(cOut * cIn); // between the α² matrices U_ξ
  const filter = new Float64Array(rr), t = new Float64Array(alpha * r), out = new Float64Array(aa);
  for (let o = 0; o < cOut; o++)
    for (let c = 0; c < cIn; c++) {
      const base = adjoint ? (c * cOut + o) * rr : (o * cIn + c) * rr;
      if (adjoint) for (let k = 0; k < rr; k++) filter[k] = w[base + rr - 1 - k];
      else for (let k = 0; k < rr; k++) filter[k] = w[base + k];
      for (let j = 0; j < r; j++) rows(filter, j, r, t, j, r); // t = G g (α×r), column by column
      for (let i = 0; i < alpha; i++) rows(t, i * r, 1, out, i * alpha, 1); // U = t Gᵀ, row by row
      for (let e = 0, at = o * cIn + c; e < aa; e++, at += stride) u[at] = out[e];
    }
}

/** In place: each of the α rows (or columns) of the α×α tile d, at step `step`, times Bᵀ (4×4). */
function inputRows4(d: Float64Array, step: number, lane: number): void {
  for (let q = 0; q < 4; q++) {
    const i = q * lane;
    const d0 = d[i], d1 = d[i + step], d2 = d[i + 2 * step], d3 = d[i + 3 * step];
    d[i] = d0 - d2;
    d[i + step] = d1 + d2;
    d[i + 2 * step] = d2 - d1;
    d[i + 3 * step] = d1 - d3;
  }
}

/** In place: each of the 6 rows (or columns) of the 6×6 tile d, at step `step`, times Bᵀ (6×6). */
function inputRows6(d: Float64Array, step: number, lane: number): void {
  for (let q = 0; q < 6; q++) {
    const i = q * lane;
    const d0 = d[i], d1 = d[i + step], d2 = d[i + 2 * step], d3 = d[i + 3 * step], d4 = d[i + 4 * step], d5 = d[i + 5 * step];
    d[i] = 4 * d0 - 5 * d2 + d4;
    d[i + step] = 4 * (d1 + d2) - d3 - d4;
    d[i + 2 * step] = 4 * (d2 - d1) + d3 - d4;
    d[i + 3 * step] = 2 * (d3 - d1) + d4 - d2;
    d[i + 4 * step] = 2 * (d1 - d3) + d4 - d2;
    d[i + 5 * step] = 4 * d1 - 5 * d3 + d5;
  }
}

/** Bᵀ d B of a 4×4 tile, written to v[at + ξ·stride]: inputRows4 twice, unrolled into locals (the hot case). */
function tile4(d: Float64Array, v: F, at: number, stride: number): void {
  // Bᵀ d, column by column (rows d0 − d2, d1 + d2, d2 − d1, d1 − d3).
  const a0 = d[0] - d[8], a1 = d[1] - d[9], a2 = d[2] - d[10], a3 = d[3] - d[11];
  const b0 = d[4] + d[8], b1 = d[5] + d[9], b2 = d[6] + d[10], b3 = d[7] + d[11];
  const c0 = d[8] - d[4], c1 = d[9] - d[5], c2 = d[10] - d[6], c3 = d[11] - d[7];
  const e0 = d[4] - d[12], e1 = d[5] - d[13], e2 = d[6] - d[14], e3 = d[7] - d[15];
  // … then B, row by row, the same combination across columns.
  v[at] = a0 - a2; v[at + stride] = a1 + a2; v[at + 2 * stride] = a2 - a1; v[at + 3 * stride] = a1 - a3;
  at += 4 * stride;
  v[at] = b0 - b2; v[at + stride] = b1 + b2; v[at + 2 * stride] = b2 - b1; v[at + 3 * stride] = b1 - b3;
  at += 4 * stride;
  v[at] = c0 - c2; v[at + stride] = c1 + c2; v[at + 2 * stride] = c2 - c1; v[at + 3 * stride] = c1 - c3;
  at += 4 * stride;
  v[at] = e0 - e2; v[at + stride] = e1 + e2; v[at + 2 * stride] = e2 - e1; v[at + 3 * stride] = e1 - e3;
}

/**
 * V[ξ, c, t] = (Bᵀ d B)[ξ] for the α×α input tile d of tile t and channel c (zero outside the
 * image), for the input planes (image n, channel c) numbered n·C + c in [from, to) (default: all).
 */
export function winogradInputs(x: F, s: WinogradShape, v: F, from = 0, to = s.images * s.channels): void {
  const alpha = checkKernel(s.kernel), aa = alpha * alpha;
  const rows = alpha === 4 ? inputRows4 : inputRows6;
  const { channels, inH, inW, padTop, padLeft } = s;
  const { tilesH, tilesW, tiles } = winogradTiles(s);
  const stride = winogradPlane(channels * tiles); // between the α² matrices V_ξ
  const d = new Float64Array(aa);
  for (let nc = from; nc < to; nc++) {
    const n = Math.floor(nc / channels), c = nc - n * channels;
    const plane = nc * inH * inW;
    for (let ty = 0; ty < tilesH; ty++)
      for (let tx = 0; tx < tilesW; tx++) {
        const h0 = 2 * ty - padTop, w0 = 2 * tx - padLeft;
        if (h0 >= 0 && h0 + alpha <= inH && w0 >= 0 && w0 + alpha <= inW) {
          for (let i = 0, row = plane + h0 * inW + w0; i < alpha; i++, row += inW) for (let q = 0; q < alpha; q++) d[i * alpha + q] = x[row + q];
        } else {
          for (let i = 0; i < alpha; i++) {
            const h = h0 + i, row = plane + h * inW + w0;
            for (let q = 0; q < alpha; q++) d[i * alpha + q] = h >= 0 && h < inH && w0 + q >= 0 && w0 + q < inW ? x[row + q] : 0;
          }
        }
        let at = c * tiles + (n * tilesH + ty) * tilesW + tx;
        if (alpha === 4) {
          tile4(d, v, at, stride);
          continue;
        }
        rows(d, alpha, 1); // Bᵀ d: combine rows, column by column
        rows(d, 1, alpha); // (Bᵀ d) B: combine columns, row by row
        for (let e = 0; e < aa; e++, at += stride) v[at] = d[e];
      }
  }
}

/**
 * y[n, o, 2ty + i, 2tx + j] = (Aᵀ m A)[i, j] (+ bias[o]) for the α×α m = M[·, o, t], clipped to
 * outH × outW, for the output planes numbered n·Cout + o in [from, to) (default: all). Aᵀ m A is
 * computed as (Aᵀ m) then times A, both with Aᵀ's rows written out.
 */
export function winogradOutputs(m: F, s: WinogradShape, bias: F | undefined, y: F, from = 0, to = s.images * s.outChannels): void {
  const alpha = checkKernel(s.kernel);
  const { outChannels, outH, outW } = s;
  const { tilesH, tilesW, tiles } = winogradTiles(s);
  const stride = winogradPlane(outChannels * tiles);
  const p = new Float64Array(2 * alpha); // Aᵀ m (2×α)
  for (let no = from; no < to; no++) {
    const n = Math.floor(no / outChannels), o = no - n * outChannels;
    const b = bias ? bias[o] : 0;
    const plane = no * outH * outW;
    for (let ty = 0; ty < tilesH; ty++)
      for (let tx = 0; tx < tilesW; tx++) {
        const at = o * tiles + (n * tilesH + ty) * tilesW + tx;
        let y00, y01, y10, y11;
        if (alpha === 4) {
          // Aᵀ = [1 1 1 0; 0 1 −1 −1]
          for (let q = 0; q < 4; q++) {
            const m0 = m[at + q * stride], m1 = m[at + (4 + q) * stride], m2 = m[at + (8 + q) * stride], m3 = m[at + (12 + q) * stride];
            p[q] = m0 + m1 + m2;
            p[4 + q] = m1 - m2 - m3;
          }
          y00 = p[0] + p[1] + p[2];
          y01 = p[1] - p[2] - p[3];
          y10 = p[4] + p[5] + p[6];
          y11 = p[5] - p[6] - p[7];
        } else {
          // Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 1]
          for (let q = 0; q < 6; q++) {
            const m0 = m[at + q * stride], m1 = m[at + (6 + q) * stride], m2 = m[at + (12 + q) * stride];
            const m3 = m[at + (18 + q) * stride], m4 = m[at + (24 + q) * stride], m5 = m[at + (30 + q) * stride];
            p[q] = m0 + m1 + m2 + m3 + m4;
            p[6 + q] = m1 - m2 + 2 * (m3 - m4) + m5;
          }
          y00 = p[0] + p[1] + p[2] + p[3] + p[4];
          y01 = p[1] - p[2] + 2 * (p[3] - p[4]) + p[5];
          y10 = p[6] + p[7] + p[8] + p[9] + p[10];
          y11 = p[7] - p[8] + 2 * (p[9] - p[10]) + p[11];
        }
        const h = 2 * ty, w = 2 * tx, base = plane + h * outW + w;
        y[base] = y00 + b;
        if (w + 1 < outW) y[base + 1] = y01 + b;
        if (h + 1 < outH) {
          y[base + outW] = y10 + b;
          if (w + 1 < outW) y[base + outW + 1] = y11 + b;
        }
      }
  }
}

/** A WinogradShape as the ten numbers a worker thread receives (winogradTask's params). */
function shapeParams(s: WinogradShape): number[] {
  return [s.kernel, s.images, s.channels, s.outChannels, s.inH, s.inW, s.padTop, s.padLeft, s.outH, s.outW];
}

/**
 * The transforms as plane tasks for the thread pool (gemm-threads.ts runs them on every thread,
 * each over a range of planes): 0 winogradInputs(a0 = x, a1 = v), 1 winogradOutputs(a0 = m,
 * a1 = y, a2 = bias), 2 winogradOutputGrads(a0 = dy, a1 = dm); params as shapeParams.
 */
export function winogradTask(task: number, params: ArrayLike<number>, a0: F, a1: F, a2: F | undefined, from: number, to: number): void {
  const s = { kernel: params[0], images: params[1], channels: params[2], outChannels: params[3], inH: params[4], inW: params[5], padTop: params[6], padLeft: params[7], outH: params[8], outW: params[9] };
  if (task === 0) winogradInputs(a0, s, a1, from, to);
  else if (task === 1) winogradOutputs(a0, s, a2, a1, from, to);
  else winogradOutputGrads(a0, s, a1, from, to);
}

/**
 * winogradTask on the WebAssembly kernels, for arrays in the wasm heap (their byteOffset is their
 * address): each plane is copied into the thread's scratch with a zero margin (so no tile needs a
 * bounds test), transformed four tiles at a time by the module, and an output plane is cropped
 * back. Self-contained (no imports, no module constants): the worker threads run its source too.
 */
export function winogradTaskWasm(ws: WasmGemmState, task: number, params: ArrayLike<number>, a0: F, a1: F, a2: F | undefined, from: number, to: number): void {
  const [kernel, images, channels, outChannels, inH, inW, padTop, padLeft, outH, outW] = Array.from(params);
  const alpha = kernel + 1;
  const tilesH = Math.ceil(outH / 2), tilesW = Math.ceil(outW / 2), tiles = images * tilesH * tilesW;
  const groups = Math.ceil(tilesW / 4);
  const planeStride = (size: number) => 16 * (Math.ceil(size / 16) | 1); // winogradPlane
  // Scratch plane: input (task 0) rows 2·tilesH + α − 2 by 8·groups + α − 1 columns (a group's
  // vector loads reach 7 past its last window column); output and output-gradient planes 2·tilesH
  // by 8·groups.
  const rows = task === 0 ? 2 * tilesH + alpha - 2 : 2 * tilesH;
  const ld = task === 0 ? 8 * groups + alpha - 1 : 8 * groups;
  ws.reserve(4 * rows * ld, () => `a Winograd transform of ${tilesH}×${tilesW} tiles`);
  // >>> 2, not >> 2: addresses reach 4 GiB, and a signed shift makes those past 2 GiB negative.
  const base = ws.base >>> 2;
  const k = ws.k as unknown as Record<string, (...args: number[]) => void>;
  for (let plane = from; plane < to; plane++) {
    if (task === 0) {
      const n = Math.floor(plane / channels), c = plane - n * channels;
      k.pad_plane(a0.byteOffset + 4 * plane * inH * inW, inH, inW, 4 * base, rows, ld, padTop, padLeft);
      k[`wino_in${alpha}`](4 * base, ld, tilesH, tilesW, a1.byteOffset + 4 * (c * tiles + n * tilesH * tilesW), planeStride(channels * tiles));
    } else if (task === 1) {
      const n = Math.floor(plane / outChannels), o = plane - n * outChannels;
      k[`wino_out${alpha}`](a0.byteOffset + 4 * (o * tiles + n * tilesH * tilesW), planeStride(outChannels * tiles), tilesH, tilesW, 4 * base, ld, a2 ? a2[o] : 0);
      k.crop_plane(4 * base, ld, a1.byteOffset + 4 * plane * outH * outW, outH, outW);
    } else {
      const n = Math.floor(plane / outChannels), o = plane - n * outChannels;
      k.pad_plane(a0.byteOffset + 4 * plane * outH * outW, outH, outW, 4 * base, rows, ld, 0, 0);
      k[`wino_grad${alpha}`](4 * base, ld, tilesH, tilesW, a1.byteOffset + 4 * (o * tiles + n * tilesH * tilesW), planeStride(outChannels * tiles));
    }
  }
}

/** Everything winogradTask calls: the source text the worker threads are given. */
export const winogradThreadFunctions = [
  winogradTask, winogradInputs, winogradOutputs, winogradOutputGrads, checkKernel, winogradTiles, winogradPlane,
  inputRows4, inputRows6, tile4, gradTile4, gradTile6,
];

/**
 * Runs transform `task` over all its planes, on all threads when that pays: with the wasm
 * kernels when the float32 path is wasm and the arrays live in the wasm heap (the bias, read by
 * JavaScript, may be anywhere), else winogradTask.
 */
function transform(task: number, s: WinogradShape, a0: F, a1: F, a2?: F): void {
  const aa = checkKernel(s.kernel) ** 2;
  const { tiles, tilesH, tilesW } = winogradTiles(s);
  const planes = s.images * (task === 0 ? s.channels : s.outChannels);
  const params = shapeParams(s);
  const path = s.kernels ?? cpuKernels();
  const variant = path !== 'ts' && residency(a0, a1, a1) === 7 ? path : undefined;
  if (variant) {
    const scratchBytes = 4 * (2 * tilesH + 6) * (8 * Math.ceil(tilesW / 4) + 6);
    if (!parallelPlanes(task, planes, planes * (tiles / s.images) * aa, params, a0, a1, a2, { variant, scratchBytes })) winogradTaskWasm(wasmState(variant), task, params, a0, a1, a2, 0, planes);
    return;
  }
  if (!parallelPlanes(task, planes, planes * (tiles / s.images) * aa, params, a0, a1, a2)) winogradTask(task, params, a0, a1, a2, 0, planes);
}

/** V for all of x (winogradInputs over every plane), on all threads when that pays. */
export function winogradInputsAll(x: F, s: WinogradShape, v: F): void {
  transform(0, s, x, v);
}

/** Scratch the three steps need: U α²·Cout·C, V α²·C·T, M α²·Cout·T scalars (each plane rounded up by winogradPlane). */
export function winogradScratchSizes(s: WinogradShape): { u: number; v: number; m: number } {
  const aa = checkKernel(s.kernel) ** 2;
  const { tiles } = winogradTiles(s);
  return { u: aa * winogradPlane(s.outChannels * s.channels), v: aa * winogradPlane(s.channels * tiles), m: aa * winogradPlane(s.outChannels * tiles) };
}

/**
 * y = the r×r stride-1 convolution of x with w (+ bias) by F(2×2, r×r), on caller-supplied
 * scratch u, v, mm (winogradScratchSizes). With `adjoint`, w is [C, Cout, r, r] and the filter
 * is its transposed 180° rotation: that computes a convolution's input gradient from its output
 * gradient (x = dy, y = dx, padTop/padLeft = r − 1 − the forward's). With `inputsReady`, v
 * already holds winogradInputs(x) (kept from an earlier pass) and is only read.
 */
export function winogradConv(x: F, w: F, bias: F | undefined, s: WinogradShape, adjoint: boolean, y: F, u: F, v: F, mm: F, inputsReady = false): void {
  const aa = checkKernel(s.kernel) ** 2;
  const { tiles } = winogradTiles(s);
  winogradFilters(s.kernel, w, s.outChannels, s.channels, adjoint, u, s.kernels);
  if (!inputsReady) transform(0, s, x, v);
  for (let xi = 0; xi < aa; xi++) {
    gemm({
      m: s.outChannels, n: tiles, k: s.channels, a: u, b: v, c: mm, kernels: s.kernels,
      aOffset: xi * winogradPlane(s.outChannels * s.channels), bOffset: xi * winogradPlane(s.channels * tiles), cOffset: xi * winogradPlane(s.outChannels * tiles),
    });
  }
  transform(1, s, mm, y, bias);
}

/** G (α×r) as above, element [i][k] at i·r + k. */
function filterMatrix(r: number): Float64Array {
  if (r === 3) return Float64Array.of(1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1);
  return Float64Array.of(
    1 / 4, 0, 0, 0, 0,
    1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6,
    1 / 6, -1 / 6, 1 / 6, -1 / 6, 1 / 6,
    1 / 24, 2 / 24, 4 / 24, 8 / 24, 16 / 24,
    1 / 24, -2 / 24, 4 / 24, -8 / 24, 16 / 24,
    0, 0, 0, 0, 1,
  );
}

/**
 * dM[ξ, o, t] = (A dy_t Aᵀ)[ξ] for the 2×2 block dy_t of output gradient dy ([N, Cout, outH,
 * outW]) that tile t produced: the adjoint of winogradOutputs (outputs past outH × outW, which
 * the forward pass dropped, count as zero), for the planes numbered n·Cout + o in [from, to).
 */
export function winogradOutputGrads(dy: F, s: WinogradShape, dm: F, from = 0, to = s.images * s.outChannels): void {
  const alpha = checkKernel(s.kernel);
  const { outChannels, outH, outW } = s;
  const { tilesH, tilesW, tiles } = winogradTiles(s);
  const stride = winogradPlane(outChannels * tiles);
  for (let no = from; no < to; no++) {
    const n = Math.floor(no / outChannels), o = no - n * outChannels;
    const plane = no * outH * outW;
    for (let ty = 0; ty < tilesH; ty++)
      for (let tx = 0; tx < tilesW; tx++) {
        const h = 2 * ty, w = 2 * tx, base = plane + h * outW + w;
        const right = w + 1 < outW, down = h + 1 < outH;
        const y00 = dy[base], y01 = right ? dy[base + 1] : 0;
        const y10 = down ? dy[base + outW] : 0, y11 = down && right ? dy[base + outW + 1] : 0;
        const at = o * tiles + (n * tilesH + ty) * tilesW + tx;
        if (alpha === 4) gradTile4(y00, y01, y10, y11, dm, at, stride);
        else gradTile6(y00, y01, y10, y11, dm, at, stride);
      }
  }
}

/** A dy Aᵀ for α = 4 (A's rows [1 0], [1 1], [1 −1], [0 −1]), written to dm[at + ξ·stride]. */
function gradTile4(y00: number, y01: number, y10: number, y11: number, dm: F, at: number, s: number): void {
  // (dy Aᵀ): two rows of 4.
  const p0 = y00, p1 = y00 + y01, p2 = y00 - y01, p3 = -y01;
  const q0 = y10, q1 = y10 + y11, q2 = y10 - y11, q3 = -y11;
  dm[at] = p0; dm[at + s] = p1; dm[at + 2 * s] = p2; dm[at + 3 * s] = p3;
  at += 4 * s;
  dm[at] = p0 + q0; dm[at + s] = p1 + q1; dm[at + 2 * s] = p2 + q2; dm[at + 3 * s] = p3 + q3;
  at += 4 * s;
  dm[at] = p0 - q0; dm[at + s] = p1 - q1; dm[at + 2 * s] = p2 - q2; dm[at + 3 * s] = p3 - q3;
  at += 4 * s;
  dm[at] = -q0; dm[at + s] = -q1; dm[at + 2 * s] = -q2; dm[at + 3 * s] = -q3;
}

/** A dy Aᵀ for α = 6 (A's rows [1 0], [1 1], [1 −1], [1 2], [1 −2], [0 1]). */
function gradTile6(y00: number, y01: number, y10: number, y11: number, dm: F, at: number, s: number): void {
  const p0 = y00, p1 = y00 + y01, p2 = y00 - y01, p3 = y00 + 2 * y01, p4 = y00 - 2 * y01, p5 = y01;
  const q0 = y10, q1 = y10 + y11, q2 = y10 - y11, q3 = y10 + 2 * y11, q4 = y10 - 2 * y11, q5 = y11;
  // Row i of the result is A[i, 0]·p + A[i, 1]·q.
  for (let i = 0; i < 6; i++, at += 6 * s) {
    const a = i === 5 ? 0 : 1, b = i === 0 ? 0 : i === 1 || i === 5 ? 1 : i === 2 ? -1 : i === 3 ? 2 : -2;
    dm[at] = a * p0 + b * q0;
    dm[at + s] = a * p1 + b * q1;
    dm[at + 2 * s] = a * p2 + b * q2;
    dm[at + 3 * s] = a * p3 + b * q3;
    dm[at + 4 * s] = a * p4 + b * q4;
    dm[at + 5 * s] = a * p5 + b * q5;
  }
}

/** dw[o, c] = Gᵀ dU[·, o, c] G (r×r from α×α): the adjoint of winogradFilters (not adjoint mode). */
export function winogradFilterGrads(r: number, du: F, cOut: number, cIn: number, dw: F): void {
  const alpha = checkKernel(r);
  const g = filterMatrix(r);
  const stride = winogradPlane(cOut * cIn), rr = r * r;
  const t = new Float64Array(alpha * r); // dU G (α×r)
  for (let o = 0; o < cOut; o++)
    for (let c = 0; c < cIn; c++) {
      const at = o * cIn + c;
      t.fill(0);
      for (let i = 0; i < alpha; i++)
        for (let j = 0; j < alpha; j++) {
          const d = du[at + (i * alpha + j) * stride];
          if (d !== 0) for (let b = 0; b < r; b++) t[i * r + b] += d * g[j * r + b];
        }
      const out = (o * cIn + c) * rr;
      for (let q = 0; q < r; q++)
        for (let b = 0; b < r; b++) {
          let sum = 0;
          for (let i = 0; i < alpha; i++) sum += g[i * r + q] * t[i * r + b];
          dw[out + q * r + b] = sum;
        }
    }
}

/** Scratch winogradFilterGrad needs: V α²·C·T, dM α²·Cout·T, dU α²·Cout·C scalars. */
export function winogradFilterGradScratchSizes(s: WinogradShape): { v: number; dm: number; du: number } {
  const { u, v, m } = winogradScratchSizes(s);
  return { v, dm: m, du: u };
}

/**
 * dw ([Cout, C, r, r]) = the weight gradient of the r×r stride-1 convolution of x given its
 * output gradient dy, by F(2×2, r×r) backwards: V from x as in the forward pass, dM from dy,
 * then α² GEMMs dU_ξ = dM_ξ · V_ξᵀ that sum over all tiles of all images (k = T), and the
 * filter transform's adjoint. The same 2.25× / 2.8× fewer multiplications as the forward pass.
 * With `inputsReady`, v already holds V (the forward pass's, kept) and is only read.
 */
export function winogradFilterGrad(x: F, dy: F, s: WinogradShape, dw: F, v: F, dm: F, du: F, inputsReady = false): void {
  const aa = checkKernel(s.kernel) ** 2;
  const { tiles } = winogradTiles(s);
  if (!inputsReady) transform(0, s, x, v);
  transform(2, s, dy, dm);
  for (let xi = 0; xi < aa; xi++) {
    gemm({
      m: s.outChannels, n: s.channels, k: tiles, a: dm, b: v, c: du, transB: true, kernels: s.kernels,
      aOffset: xi * winogradPlane(s.outChannels * tiles), bOffset: xi * winogradPlane(s.channels * tiles), cOffset: xi * winogradPlane(s.outChannels * s.channels),
    });
  }
  winogradFilterGrads(s.kernel, du, s.outChannels, s.channels, dw);
}
