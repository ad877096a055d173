import { HubelError, fmtShape, sameShape, sizeOf, type Shape, type Tensor } from '@hubel/core';
import type { WebGpuBackend } from '../backend.js';
import { map, numpyBroadcast, type MapInput, type MapOptions } from './elementwise.js';
import { gemm, gemmRaw, type GemmOptions, type GemmSpec } from './gemm.js';
import { col2im, im2col, windowOutput } from './im2col.js';
import { expand, pad, padBackward, permute, type PadMode } from './layout.js';
import { reduce, type ReduceOptions } from './reduce.js';
import { windowBackward, windowForward, windowIndices, type WindowOp, type WindowView } from './window.js';
import type { WindowGeometry } from './geometry.js';

/**
 * The WGSL building blocks layer kernels call instead of writing their own shaders. Every
 * block encodes GPU work (nothing is read back) and returns fresh tensors the caller owns.
 */
export class WebGpuBlocks {
  constructor(private readonly be: WebGpuBackend) {}

  /** op(A)·op(B) for 2-D tensors, plus an optional row/column bias (same options as the CPU block). */
  gemm(A: Tensor, B: Tensor, o: GemmOptions = {}): Tensor {
    return gemm(this.be, A, B, o);
  }

  /** Batched GEMM with explicit strides and offsets (convolutions); see `GemmSpec`. */
  gemmBatched(spec: GemmSpec): Tensor {
    return gemmRaw(this.be, spec);
  }

  /** Elementwise map with per-input broadcasting; see `MapOptions`. */
  map(o: MapOptions): Tensor {
    return map(this.be, o);
  }

  /**
   * x (read as `xShape`, default its own shape: a reduction's output without its kept axes can
   * be read with them) as a `map` input numpy-broadcast to `shape`: an index pattern when one
   * fits (`numpyBroadcast`), else an `expand`ed copy, returned as `temp` for the caller to
   * dispose once the map is encoded. Throws a HubelError when the shapes do not broadcast.
   */
  broadcastInput(x: Tensor, shape: Shape, xShape: Shape = x.shape): { input: MapInput; temp?: Tensor } {
    const broadcast = sizeOf(xShape) === x.size ? numpyBroadcast(shape, xShape) : undefined;
    if (broadcast) return { input: { t: x, broadcast } };
    const temp = expand(this.be, x, shape, xShape);
    return { input: { t: temp }, temp };
  }

  /** Sum (or max, mean, sum of squares) over `axes`. */
  reduce(x: Tensor, o: ReduceOptions): Tensor {
    return reduce(this.be, x, o);
  }

  /** Sums over `axes` (the CPU block's name). */
  sum(x: Tensor, o: { axes: readonly number[]; keepDims?: boolean }): Tensor {
    return reduce(this.be, x, { ...o, op: 'sum' });
  }

  /** cols [N, C·∏kernel, ∏out] from x [N, C, (H,) W]. */
  im2col(x: Tensor, g: WindowGeometry): Tensor {
    return im2col(this.be, x, g);
  }

  /** Adjoint of im2col: dx of `xShape` from dcols. */
  col2im(cols: Tensor, xShape: Shape, g: WindowGeometry): Tensor {
    return col2im(this.be, cols, xShape, g);
  }

  /** Output extents [oh, ow] of a window over x [N, C, (H,) W] (oh = 1 in 1-D). */
  windowOutput(xShape: Shape, g: WindowGeometry): [number, number] {
    return windowOutput(xShape, g);
  }

  /** Window reduction (pooling, LRN sums); see `WindowView`. */
  window(x: Tensor, view: WindowView, op: WindowOp, outShape?: Shape): { y: Tensor; argmax?: Tensor } {
    return windowForward(this.be, x, view, op, outShape);
  }

  /** ONNX MaxPool's Indices (int32 flat indices into x) from a 'max' `window`'s argmax; see `windowIndices`. */
  windowIndices(argmax: Tensor, view: WindowView, columnMajor = false): Tensor {
    return windowIndices(this.be, argmax, view, columnMajor);
  }

  /** Adjoint of `window` for max, avg and sum. */
  windowBackward(dy: Tensor, view: WindowView, op: Exclude<WindowOp, 'sumsq'>, xShape: Shape, argmax?: Tensor): Tensor {
    return windowBackward(this.be, dy, view, op, xShape, argmax);
  }

  /** Axes permuted: y.shape[j] = x.shape[perm[j]] (ONNX Transpose). */
  permute(x: Tensor, perm: readonly number[]): Tensor {
    return permute(this.be, x, perm);
  }

  /** x (read as `xShape`, default its own shape) numpy-broadcast to `shape`: a fresh tensor holding every repeated element. */
  expand(x: Tensor, shape: Shape, xShape?: Shape): Tensor {
    return expand(this.be, x, shape, xShape);
  }

  /** x padded by `pads` ([begins…, ends…]) with a constant, a mirror image (reflect) or the border value (edge). */
  pad(x: Tensor, pads: readonly number[], mode: PadMode, value = 0): Tensor {
    return pad(this.be, x, pads, mode, value);
  }

  /** Adjoint of `pad`: dx of `xShape` summing dy over every padded position that reads each element. */
  padBackward(dy: Tensor, xShape: Shape, pads: readonly number[], mode: PadMode): Tensor {
    return padBackward(this.be, dy, xShape, pads, mode);
  }

  /** Same data under a new shape (a copy; sizes must match). */
  reshape(x: Tensor, shape: Shape): Tensor {
    if (sizeOf(shape) !== x.size) throw new HubelError('shape', `reshape: cannot view ${fmtShape(x.shape)} as ${fmtShape(shape)}`);
    const out = this.be.alloc(shape, x.dtype);
    this.be.copyInto(x, out, 'reshape');
    return out;
  }

  /** Elementwise a·x + b·y (same shapes). */
  axpby(a: number, x: Tensor, b: number, y: Tensor): Tensor {
    if (!sameShape(x.shape, y.shape)) throw new HubelError('shape', `axpby: shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} differ`);
    return map(this.be, { name: 'axpby', expr: 's0 * a + s1 * b', inputs: [x, y], scalars: [a, b] });
  }

  /** Elementwise product x ⊙ y (same shapes). */
  mul(x: Tensor, y: Tensor): Tensor {
    if (!sameShape(x.shape, y.shape)) throw new HubelError('shape', `mul: shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} differ`);
    return map(this.be, { name: 'mul', expr: 'a * b', inputs: [x, y] });
  }
}

export { channelBroadcast, numpyBroadcast, reducedAxisBroadcast, type Broadcast, type MapInput, type MapOptions } from './elementwise.js';
export type { GemmOptions, GemmSpec } from './gemm.js';
export type { ReduceOp, ReduceOptions } from './reduce.js';
export type { PadMode } from './layout.js';
export { windowView, type WindowAxis, type WindowDepth, type WindowOp, type WindowView } from './window.js';
export { window2d, outExtent, type WindowGeometry, type Window2d } from './geometry.js';
