/**
 * Window iteration shared by every window layer (max/average/sum pooling, global pooling,
 * maxout; later LRN and local contrast normalization). Per spatial axis, a table built once per
 * geometry says where each output's window first touches the image, how many of its taps land
 * in the image and how many in the padded extent [−padBegin, inSize + padEnd); the loops below
 * then walk plain typed arrays over those tables, with no bounds test or closure per element.
 * A 1-D geometry is run as 2-D with a unit row axis, so one loop serves both.
 */
import { HubelError } from '@hubel/core';
import type { F } from './gemm.js';

/** One spatial axis of a window geometry, pads already resolved (ONNX order is begin, end). */
export interface WindowAxis {
  readonly inSize: number;
  readonly outSize: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly padBegin: number;
  readonly padEnd: number;
}

/** Per-output tables of one axis. Index o is the output position along the axis. */
export interface WindowTable {
  readonly inSize: number;
  readonly outSize: number;
  /** Distance in input elements between consecutive taps (the dilation). */
  readonly step: number;
  /** Input index of the first tap of window o that lies in the image. */
  readonly first: Int32Array;
  /** Taps of window o that lie in the image. */
  readonly count: Int32Array;
  /** Taps of window o inside the padded extent (image + explicit padding, not ceil-mode overhang). */
  readonly padded: Int32Array;
  /** 1 / count[o], 1 / padded[o] and 1: per-axis factors of the average's divisor. */
  readonly invCount: Float64Array;
  readonly invPadded: Float64Array;
  readonly ones: Float64Array;
}

/** Window tables for a [..., H, W] plane (1-D geometries get a unit row axis). */
export interface WindowPlan {
  readonly rows: WindowTable;
  readonly cols: WindowTable;
  /** H·W and Ho·Wo: elements per input and per output plane. */
  readonly inPlane: number;
  readonly outPlane: number;
}

/**
 * What a window sum is divided by: 'one' (sum pooling), 'image' (average over the taps in the
 * image, ONNX count_include_pad = 0) or 'padded' (average over the taps in the padded extent,
 * count_include_pad = 1; ceil-mode overhang past the end padding is never counted, as in ONNX's
 * test data and PyTorch).
 */
export type WindowDivisor = 'one' | 'image' | 'padded';

const UNIT_AXIS: WindowAxis = { inSize: 1, outSize: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 };

/**
 * Builds the tables of one axis. Throws a HubelError ('shape') when the numbers are not
 * non-negative integers or when some window has no tap in the image (callers validate first and
 * name the node; this is the backstop).
 */
export function windowTable(axis: WindowAxis): WindowTable {
  const { inSize, outSize, kernel: k, stride: s, dilation: d, padBegin, padEnd } = axis;
  const ints = [inSize, outSize, k, s, d, padBegin, padEnd];
  if (!ints.every((v) => Number.isInteger(v) && v >= 0) || inSize < 1 || outSize < 1 || k < 1 || s < 1 || d < 1) {
    throw new HubelError('shape', `window: bad axis geometry ${JSON.stringify(axis)} (sizes, kernel, stride, dilation >= 1; pads >= 0)`);
  }
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const padded = new Int32Array(outSize);
  const invCount = new Float64Array(outSize);
  const invPadded = new Float64Array(outSize);
  const ones = new Float64Array(outSize).fill(1);
  const end = inSize + padEnd;
  for (let o = 0; o < outSize; o++) {
    const start = o * s - padBegin; // input index of tap 0; >= −padBegin
    const j0 = start < 0 ? Math.ceil(-start / d) : 0; // first tap at index >= 0
    const j1 = Math.min(k - 1, Math.floor((inSize - 1 - start) / d)); // last tap at index < inSize
    const jp = Math.min(k - 1, Math.floor((end - 1 - start) / d)); // last tap inside the padded extent
    if (j1 < j0) {
      throw new HubelError(
        'shape',
        `window: output ${o} (of ${outSize}) along an axis of size ${inSize} has no tap inside the input ` +
          `(kernel ${k}, stride ${s}, dilation ${d}, pads [${padBegin}, ${padEnd}])`,
      );
    }
    first[o] = start + j0 * d;
    count[o] = j1 - j0 + 1;
    padded[o] = jp + 1;
    invCount[o] = 1 / count[o];
    invPadded[o] = 1 / padded[o];
  }
  return { inSize, outSize, step: d, first, count, padded, invCount, invPadded, ones };
}

/** Tables for one (1-D) or two (2-D: rows, then columns) spatial axes. */
export function windowPlan(axes: readonly WindowAxis[]): WindowPlan {
  if (axes.length !== 1 && axes.length !== 2) throw new HubelError('shape', `window: expected 1 or 2 spatial axes, found ${axes.length}`);
  const rows = windowTable(axes.length === 2 ? axes[0] : UNIT_AXIS);
  const cols = windowTable(axes[axes.length - 1]);
  return { rows, cols, inPlane: rows.inSize * cols.inSize, outPlane: rows.outSize * cols.outSize };
}

/**
 * Max over each window of `planes` consecutive planes: y[p, o] = max of x[p, t] over the window's
 * taps t in the image (padding never wins). argmax[p, o] is the flat index into x of the first
 * maximum in row-major window order (strict `>` keeps the earliest on ties; a NaN first tap
 * propagates). y and argmax hold planes·outPlane elements.
 */
export function windowMax(x: F, planes: number, plan: WindowPlan, y: F, argmax: Int32Array): void {
  const { rows, cols } = plan;
  const W = cols.inSize;
  const rowStep = rows.step * W;
  const colStep = cols.step;
  let yo = 0;
  for (let p = 0; p < planes; p++) {
    const xb = p * plan.inPlane;
    for (let oh = 0; oh < rows.outSize; oh++) {
      const r0 = xb + rows.first[oh] * W;
      const rn = rows.count[oh];
      for (let ow = 0; ow < cols.outSize; ow++) {
        const cn = cols.count[ow];
        let r = r0 + cols.first[ow];
        let bi = r;
        let best = x[r];
        for (let i = 0; i < rn; i++, r += rowStep) {
          for (let j = 0, q = r; j < cn; j++, q += colStep) {
            const v = x[q];
            if (v > best) {
              best = v;
              bi = q;
            }
          }
        }
        y[yo] = best;
        argmax[yo] = bi;
        yo++;
      }
    }
  }
}

function divisorFactors(t: WindowTable, divisor: WindowDivisor): Float64Array {
  return divisor === 'image' ? t.invCount : divisor === 'padded' ? t.invPadded : t.ones;
}

/** y[p, o] = (Σ of x[p, t] over the window's taps in the image) / divisor(o). */
export function windowSum(x: F, planes: number, plan: WindowPlan, divisor: WindowDivisor, y: F): void {
  const { rows, cols } = plan;
  const W = cols.inSize;
  const rowStep = rows.step * W;
  const colStep = cols.step;
  const rf = divisorFactors(rows, divisor);
  const cf = divisorFactors(cols, divisor);
  let yo = 0;
  for (let p = 0; p < planes; p++) {
    const xb = p * plan.inPlane;
    for (let oh = 0; oh < rows.outSize; oh++) {
      const r0 = xb + rows.first[oh] * W;
      const rn = rows.count[oh];
      const rs = rf[oh];
      for (let ow = 0; ow < cols.outSize; ow++) {
        const cn = cols.count[ow];
        let r = r0 + cols.first[ow];
        let acc = 0;
        for (let i = 0; i < rn; i++, r += rowStep) {
          for (let j = 0, q = r; j < cn; j++, q += colStep) acc += x[q];
        }
        y[yo++] = acc * rs * cf[ow];
      }
    }
  }
}

/** Backward of windowSum: dx[p, t] = Σ over the windows o containing tap t of dy[p, o] / divisor(o). Overwrites dx. */
export function windowSumBackward(dy: F, planes: number, plan: WindowPlan, divisor: WindowDivisor, dx: F): void {
  const { rows, cols } = plan;
  const W = cols.inSize;
  const rowStep = rows.step * W;
  const colStep = cols.step;
  const rf = divisorFactors(rows, divisor);
  const cf = divisorFactors(cols, divisor);
  dx.fill(0, 0, planes * plan.inPlane);
  let yo = 0;
  for (let p = 0; p < planes; p++) {
    const xb = p * plan.inPlane;
    for (let oh = 0; oh < rows.outSize; oh++) {
      const r0 = xb + rows.first[oh] * W;
      const rn = rows.count[oh];
      const rs = rf[oh];
      for (let ow = 0; ow < cols.outSize; ow++) {
        const cn = cols.count[ow];
        const g = dy[yo++] * rs * cf[ow];
        let r = r0 + cols.first[ow];
        for (let i = 0; i < rn; i++, r += rowStep) {
          for (let j = 0, q = r; j < cn; j++, q += colStep) dx[q] += g;
        }
      }
    }
  }
}

/** dx = 0, then dx[index[i]] += dy[i]: routes gradients to recorded positions (max pooling's arg-max). */
export function scatterAdd(dy: F, index: Int32Array, dx: F): void {
  dx.fill(0);
  for (let i = 0; i < index.length; i++) dx[index[i]] += dy[i];
}
