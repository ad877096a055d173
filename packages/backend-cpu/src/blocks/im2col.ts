/**
 * im2col / col2im: unfold every (padded, strided, dilated) kernel window of an image into a
 * column, so a convolution becomes one GEMM (Caffe's scheme). Row (c, i, j) of the column
 * matrix holds x[c, oh·sH − padTop + i·dH, ow·sW − padLeft + j·dW] for every output (oh, ow),
 * zero where that falls in the padding. col2im is its adjoint: it adds each column entry back
 * into the input position it came from (several, where windows overlap). 1-D is the H = 1 case.
 */
import type { F } from './gemm.js';
import { cpuKernels, residency, wasmState, type CpuKernels } from './wasm-kernels.js';

/** Geometry of a 2-D convolution window over one image (1-D: inH = outH = kernelH = 1, no H padding). */
export interface ConvGeometry {
  /** Input channels C. */
  readonly channels: number;
  /** Input height. */
  readonly inH: number;
  /** Input width. */
  readonly inW: number;
  /** Kernel height. */
  readonly kernelH: number;
  /** Kernel width. */
  readonly kernelW: number;
  /** Vertical stride. */
  readonly strideH: number;
  /** Horizontal stride. */
  readonly strideW: number;
  /** Vertical spacing between kernel taps. */
  readonly dilationH: number;
  /** Horizontal spacing between kernel taps. */
  readonly dilationW: number;
  /** Rows of zero padding above the image (padding below is implied by outH). */
  readonly padTop: number;
  /** Columns of zero padding left of the image (padding on the right is implied by outW). */
  readonly padLeft: number;
  /** Output height. */
  readonly outH: number;
  /** Output width. */
  readonly outW: number;
}

/** The outputs ow whose tap at input offset `shift` + ow·stride lands inside [0, size): [lo, hi). */
function validRange(shift: number, stride: number, size: number, outSize: number): [number, number] {
  const lo = Math.min(outSize, Math.max(0, Math.ceil(-shift / stride)));
  const hi = Math.min(outSize, Math.floor((size - 1 - shift) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * The wasm kernels' instance for float32 arrays in the wasm heap on a wasm kernel path (the
 * backend's `kernels` option, else the global choice), or undefined: then the TypeScript loop runs.
 */
function wasmFor(a: F, b: F, kernels: CpuKernels | undefined) {
  const path = kernels ?? cpuKernels();
  return path !== 'ts' && a instanceof Float32Array && b instanceof Float32Array && residency(a, b, b) === 7 ? wasmState(path).k : undefined;
}

/**
 * Unfolds one image x[xOff ..] ([C, inH, inW]) into cols: row r = (c·kH + i)·kW + j starts at
 * colsOff + r·ldCols and holds outH·outW entries. Every entry is written (padding as 0). Float32
 * arrays in the wasm heap are unfolded by the wasm kernel (the same values: it only moves them).
 */
export function im2col(x: F, xOff: number, g: ConvGeometry, cols: F, colsOff: number, ldCols: number, kernels?: CpuKernels): void {
  const { channels, inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW } = g;
  const k = wasmFor(x, cols, kernels);
  if (k) {
    k.im2col(x.byteOffset + 4 * xOff, cols.byteOffset + 4 * colsOff, ldCols, channels, inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW);
    return;
  }
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let i = 0; i < kernelH; i++) {
      const shiftH = i * dilationH - padTop;
      for (let j = 0; j < kernelW; j++, row++) {
        const shiftW = j * dilationW - padLeft;
        const [lo, hi] = validRange(shiftW, strideW, inW, outW);
        let dst = colsOff + row * ldCols;
        for (let oh = 0; oh < outH; oh++, dst += outW) {
          const ih = oh * strideH + shiftH;
          if (ih < 0 || ih >= inH) {
            cols.fill(0, dst, dst + outW);
            continue;
          }
          if (lo > 0) cols.fill(0, dst, dst + lo);
          const src = plane + ih * inW + shiftW;
          if (strideW === 1) cols.set(x.subarray(src + lo, src + hi), dst + lo);
          else for (let ow = lo; ow < hi; ow++) cols[dst + ow] = x[src + ow * strideW];
          if (hi < outW) cols.fill(0, dst + hi, dst + outW);
        }
      }
    }
  }
}

/**
 * Adjoint of im2col: dx[xOff ..] += every column entry at the input position it was read from
 * (padding dropped). The wasm kernel (float32 arrays in the heap) adds in the same order, each
 * sum rounded to float32 as here: bitwise the same result.
 */
export function col2im(cols: F, colsOff: number, ldCols: number, g: ConvGeometry, dx: F, xOff: number, kernels?: CpuKernels): void {
  const { channels, inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW } = g;
  const k = wasmFor(cols, dx, kernels);
  if (k) {
    k.col2im(cols.byteOffset + 4 * colsOff, ldCols, dx.byteOffset + 4 * xOff, channels, inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW);
    return;
  }
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let i = 0; i < kernelH; i++) {
      const shiftH = i * dilationH - padTop;
      for (let j = 0; j < kernelW; j++, row++) {
        const shiftW = j * dilationW - padLeft;
        const [lo, hi] = validRange(shiftW, strideW, inW, outW);
        let src = colsOff + row * ldCols;
        for (let oh = 0; oh < outH; oh++, src += outW) {
          const ih = oh * strideH + shiftH;
          if (ih < 0 || ih >= inH) continue;
          const dst = plane + ih * inW + shiftW;
          for (let ow = lo; ow < hi; ow++) dx[dst + ow * strideW] += cols[src + ow];
        }
      }
    }
  }
}
