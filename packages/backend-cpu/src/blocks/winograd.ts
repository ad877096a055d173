/**
 * Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray 2015) for 3×3, stride-1 convolutions:
 * each 2×2 block of outputs comes from a 4×4 input tile d and the 3×3 filter g as
 *   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,
 * 16 multiplications instead of 36. Summed over input channels, the elementwise products
 * become 16 independent GEMMs M_ξ = U_ξ · V_ξ (U_ξ: [Cout, C] filter transforms, V_ξ: [C, T]
 * tile transforms, T tiles), which run on the shared GEMM; only the transforms are new loops.
 *
 * Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 * Aᵀ = [1 1 1 0; 0 1 −1 −1]. Element ξ = 4·r + s of a 4×4 transform.
 */
import { gemm, type F } from './gemm.js';

/** Where the tiles of one 3×3 stride-1 convolution lie: input [N, C, inH, inW], output [N, Cout, outH, outW]. */
export interface WinogradShape {
  readonly images: number;
  readonly channels: number;
  readonly outChannels: number;
  readonly inH: number;
  readonly inW: number;
  /** Input row/column of output (0, 0)'s window corner: −padTop, −padLeft (any integer). */
  readonly padTop: number;
  readonly padLeft: number;
  readonly outH: number;
  readonly outW: number;
}

/** Tiles per image along H and W (2×2 outputs each; the last ones may stick out). */
export function winogradTiles(s: WinogradShape): { tilesH: number; tilesW: number; tiles: number } {
  const tilesH = Math.ceil(s.outH / 2), tilesW = Math.ceil(s.outW / 2);
  return { tilesH, tilesW, tiles: s.images * tilesH * tilesW };
}

/**
 * U[ξ, o, c] = (G g Gᵀ)[ξ] for the filter g = w[o, c] ([Cout, C, 3, 3] at wOff). With `adjoint`,
 * w is read as the transposed, 180°-rotated filter of a [C, Cout, 3, 3] weight (the filter of
 * the convolution's input gradient): g[i, j] = w[c', o', 2 − i, 2 − j] with o' = c, c' = o.
 */
export function winogradFilters(w: F, cOut: number, cIn: number, adjoint: boolean, u: F): void {
  const stride = cOut * cIn; // between the 16 matrices U_ξ
  for (let o = 0; o < cOut; o++)
    for (let c = 0; c < cIn; c++) {
      // The 3×3 filter g (row-major), read directly or transposed and rotated.
      let g0, g1, g2, g3, g4, g5, g6, g7, g8;
      if (!adjoint) {
        const at = (o * cIn + c) * 9;
        [g0, g1, g2, g3, g4, g5, g6, g7, g8] = [w[at], w[at + 1], w[at + 2], w[at + 3], w[at + 4], w[at + 5], w[at + 6], w[at + 7], w[at + 8]];
      } else {
        const at = (c * cOut + o) * 9;
        [g0, g1, g2, g3, g4, g5, g6, g7, g8] = [w[at + 8], w[at + 7], w[at + 6], w[at + 5], w[at + 4], w[at + 3], w[at + 2], w[at + 1], w[at]];
      }
      // Gg (4×3): rows g_row0, ½(r0 + r1 + r2), ½(r0 − r1 + r2), r2; then each row times Gᵀ.
      const rows = [
        g0, g1, g2,
        0.5 * (g0 + g3 + g6), 0.5 * (g1 + g4 + g7), 0.5 * (g2 + g5 + g8),
        0.5 * (g0 - g3 + g6), 0.5 * (g1 - g4 + g7), 0.5 * (g2 - g5 + g8),
        g6, g7, g8,
      ];
      let at = o * cIn + c;
      for (let r = 0; r < 4; r++, at += 4 * stride) {
        const a0 = rows[3 * r], a1 = rows[3 * r + 1], a2 = rows[3 * r + 2];
        u[at] = a0;
        u[at + stride] = 0.5 * (a0 + a1 + a2);
        u[at + 2 * stride] = 0.5 * (a0 - a1 + a2);
        u[at + 3 * stride] = a2;
      }
    }
}

/** V[ξ, c, t] = (Bᵀ d B)[ξ] for the 4×4 input tile d of tile t and channel c (zero outside the image). */
export function winogradInputs(x: F, s: WinogradShape, v: F): void {
  const { images, channels, inH, inW, padTop, padLeft } = s;
  const { tilesH, tilesW, tiles } = winogradTiles(s);
  const stride = channels * tiles; // between the 16 matrices V_ξ
  const d = new Float64Array(16);
  for (let n = 0; n < images; n++)
    for (let c = 0; c < channels; c++) {
      const plane = (n * channels + c) * inH * inW;
      for (let ty = 0; ty < tilesH; ty++)
        for (let tx = 0; tx < tilesW; tx++) {
          const h0 = 2 * ty - padTop, w0 = 2 * tx - padLeft;
          const inside = h0 >= 0 && h0 + 4 <= inH && w0 >= 0 && w0 + 4 <= inW;
          for (let r = 0; r < 4; r++) {
            const h = h0 + r, row = plane + h * inW + w0;
            for (let q = 0; q < 4; q++) d[4 * r + q] = inside || (h >= 0 && h < inH && w0 + q >= 0 && w0 + q < inW) ? x[row + q] : 0;
          }
          // Bᵀd: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3 (per column q), then the same across columns.
          let at = c * tiles + (n * tilesH + ty) * tilesW + tx;
          for (let q = 0; q < 4; q++) {
            const e0 = d[q] - d[8 + q], e1 = d[4 + q] + d[8 + q], e2 = d[8 + q] - d[4 + q], e3 = d[4 + q] - d[12 + q];
            d[q] = e0;
            d[4 + q] = e1;
            d[8 + q] = e2;
            d[12 + q] = e3;
          }
          for (let r = 0; r < 4; r++, at += 4 * stride) {
            const b0 = d[4 * r], b1 = d[4 * r + 1], b2 = d[4 * r + 2], b3 = d[4 * r + 3];
            v[at] = b0 - b2;
            v[at + stride] = b1 + b2;
            v[at + 2 * stride] = b2 - b1;
            v[at + 3 * stride] = b1 - b3;
          }
        }
    }
}

/** y[n, o, 2ty + i, 2tx + j] = (Aᵀ m A)[i, j] (+ bias[o]) for m = M[·, o, t], clipped to outH × outW. */
export function winogradOutputs(m: F, s: WinogradShape, bias: F | undefined, y: F): void {
  const { images, outChannels, outH, outW } = s;
  const { tilesH, tilesW, tiles } = winogradTiles(s);
  const stride = outChannels * tiles;
  for (let o = 0; o < outChannels; o++) {
    const b = bias ? bias[o] : 0;
    for (let n = 0; n < images; n++) {
      const plane = (n * outChannels + o) * outH * outW;
      for (let ty = 0; ty < tilesH; ty++)
        for (let tx = 0; tx < tilesW; tx++) {
          const t = (n * tilesH + ty) * tilesW + tx;
          let at = o * tiles + t;
          // Aᵀ m: row 0 = m0 + m1 + m2, row 1 = m1 − m2 − m3 (rows of the 4×4 m).
          let p00 = 0, p01 = 0, p10 = 0, p11 = 0;
          for (let r = 0; r < 4; r++, at += 4 * stride) {
            const m0 = m[at], m1 = m[at + stride], m2 = m[at + 2 * stride], m3 = m[at + 3 * stride];
            // (m A) for this row: [m0 + m1 + m2, m1 − m2 − m3]
            const c0 = m0 + m1 + m2, c1 = m1 - m2 - m3;
            if (r === 0) {
              p00 += c0;
              p01 += c1;
            } else if (r === 3) {
              p10 -= c0;
              p11 -= c1;
            } else if (r === 1) {
              p00 += c0;
              p01 += c1;
              p10 += c0;
              p11 += c1;
            } else {
              p00 += c0;
              p01 += c1;
              p10 -= c0;
              p11 -= c1;
            }
          }
          const h = 2 * ty, w = 2 * tx, base = plane + h * outW + w;
          y[base] = p00 + b;
          if (w + 1 < outW) y[base + 1] = p01 + b;
          if (h + 1 < outH) {
            y[base + outW] = p10 + b;
            if (w + 1 < outW) y[base + outW + 1] = p11 + b;
          }
        }
    }
  }
}

/** Scratch the three steps need: U 16·Cout·C, V 16·C·T, M 16·Cout·T scalars. */
export function winogradScratchSizes(s: WinogradShape): { u: number; v: number; m: number } {
  const { tiles } = winogradTiles(s);
  return { u: 16 * s.outChannels * s.channels, v: 16 * s.channels * tiles, m: 16 * s.outChannels * tiles };
}

/**
 * y = the 3×3 stride-1 convolution of x with w (+ bias) by F(2×2, 3×3), on caller-supplied
 * scratch u, v, mm (winogradScratchSizes). With `adjoint`, w is [C, Cout, 3, 3] and the filter is
 * its transposed 180° rotation: that computes a convolution's input gradient from its output
 * gradient (x = dy, y = dx, padTop/padLeft = 2 − the forward's).
 */
export function winogradConv3x3(x: F, w: F, bias: F | undefined, s: WinogradShape, adjoint: boolean, y: F, u: F, v: F, mm: F): void {
  const { tiles } = winogradTiles(s);
  winogradFilters(w, s.outChannels, s.channels, adjoint, u);
  winogradInputs(x, s, v);
  for (let xi = 0; xi < 16; xi++) {
    gemm({
      m: s.outChannels, n: tiles, k: s.channels, a: u, b: v, c: mm,
      aOffset: xi * s.outChannels * s.channels, bOffset: xi * s.channels * tiles, cOffset: xi * s.outChannels * tiles,
    });
  }
  winogradOutputs(mm, s, bias, y);
}
