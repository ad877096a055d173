/**
 * Window iteration shared by every window layer (max/average/sum pooling, global pooling,
 * maxout; later LRN and local contrast normalization). Per spatial axis, a table built once per
 * geometry says where each output's window first touches the image, how many of its taps land
 * in the image and how many in the padded extent [−padBegin, inSize + padEnd); the loops below
 * then walk plain typed arrays over those tables, with no bounds test or closure per element.
 * Any number of spatial axes runs through one loop: the last two are the (rows, cols) tables (a
 * 1-D geometry gets a unit row axis), and the leading ones (3-D: depth) are folded into a list,
 * per leading output position, of the offsets of the in-image slabs its window covers.
 */
import { HubelError } from '@hubel/core';
import type { F } from './gemm.js';
import { cpuKernels, residency, wasmState, type CpuKernels } from './wasm-kernels.js';

/** One spatial axis of a window geometry, pads already resolved (ONNX order is begin, end). */
export interface WindowAxis {
  /** Input size along the axis. */
  readonly inSize: number;
  /** Output size along the axis. */
  readonly outSize: number;
  /** Window size (taps) along the axis. */
  readonly kernel: number;
  /** Step between window starts. */
  readonly stride: number;
  /** Spacing between taps. */
  readonly dilation: number;
  /** Padding before the first element. */
  readonly padBegin: number;
  /** Padding after the last element. */
  readonly padEnd: number;
}

/** Per-output tables of one axis. Index o is the output position along the axis. */
export interface WindowTable {
  /** Input size along the axis. */
  readonly inSize: number;
  /** Output size along the axis (the tables' length). */
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
  /** 1 / padded[o]. */
  readonly invPadded: Float64Array;
  /** All ones (sum pooling's divisor). */
  readonly ones: Float64Array;
}

/**
 * Window tables for a [..., D1, …, Dk, H, W] plane: any number of spatial axes (1-D geometries
 * get a unit row axis). The leading axes D1…Dk (empty for 1-D and 2-D) are folded into `lead*`.
 */
export interface WindowPlan {
  /** Tables of the leading spatial axes, outermost first (3-D: the depth axis). */
  readonly lead: readonly WindowTable[];
  /** Table of the row (H) axis; a unit axis for 1-D geometries. */
  readonly rows: WindowTable;
  /** Table of the column (W) axis. */
  readonly cols: WindowTable;
  /** ∏ input sizes and ∏ output sizes over every spatial axis: elements per input and per output plane. */
  readonly inPlane: number;
  /** ∏ output sizes over every spatial axis. */
  readonly outPlane: number;
  /** Output positions over the leading axes (∏ of their output sizes; 1 without leading axes). */
  readonly leadOut: number;
  /**
   * For leading output position l (row-major), `leadOffsets[leadStart[l] .. leadStart[l + 1])` are
   * the input offsets (in elements, within a plane) of the H×W slabs its window covers in the
   * image, in row-major tap order. Without leading axes: one slab at offset 0.
   */
  readonly leadStart: Int32Array;
  /** Slab offsets of every leading output position, indexed through `leadStart`. */
  readonly leadOffsets: Int32Array;
  /** Per leading output position: the leading axes' share of the divisor, for each divisor kind. */
  readonly leadFactor: Readonly<Record<WindowDivisor, Float64Array>>;
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

/**
 * Tables for any number (≥ 1) of spatial axes, outermost first: the last two are rows and
 * columns (1-D: a unit row axis), the leading ones are folded into slab offset lists.
 */
export function windowPlan(axes: readonly WindowAxis[]): WindowPlan {
  if (axes.length < 1) throw new HubelError('shape', 'window: expected at least 1 spatial axis, found 0');
  const tables = axes.map(windowTable);
  const cols = tables[tables.length - 1];
  const rows = tables.length >= 2 ? tables[tables.length - 2] : windowTable(UNIT_AXIS);
  const lead = tables.slice(0, Math.max(0, tables.length - 2));
  // Elements between consecutive positions of each leading axis: ∏ of the later axes' sizes.
  const strides = lead.map((_, i) => tables.slice(i + 1).reduce((p, t) => p * t.inSize, 1));
  const leadOut = lead.reduce((p, t) => p * t.outSize, 1);
  const starts = [0];
  const offsets: number[] = [];
  const factors: Record<WindowDivisor, number[]> = { one: [], image: [], padded: [] };
  // Odometer over leading output positions; for each, every in-image tap combination (building a
  // plan runs once per geometry, so plain recursion is fine here).
  const o = new Array<number>(lead.length).fill(0);
  for (let l = 0; l < leadOut; l++) {
    const visit = (axis: number, offset: number): void => {
      if (axis === lead.length) {
        offsets.push(offset);
        return;
      }
      const t = lead[axis];
      for (let j = 0; j < t.count[o[axis]]; j++) visit(axis + 1, offset + (t.first[o[axis]] + j * t.step) * strides[axis]);
    };
    visit(0, 0);
    starts.push(offsets.length);
    factors.image.push(lead.reduce((p, t, i) => p * t.invCount[o[i]], 1));
    factors.padded.push(lead.reduce((p, t, i) => p * t.invPadded[o[i]], 1));
    factors.one.push(1);
    for (let i = lead.length - 1; i >= 0 && ++o[i] === lead[i].outSize; i--) o[i] = 0;
  }
  return {
    lead,
    rows,
    cols,
    inPlane: tables.reduce((p, t) => p * t.inSize, 1),
    outPlane: tables.reduce((p, t) => p * t.outSize, 1),
    leadOut,
    leadStart: Int32Array.from(starts),
    leadOffsets: Int32Array.from(offsets),
    leadFactor: { one: Float64Array.from(factors.one), image: Float64Array.from(factors.image), padded: Float64Array.from(factors.padded) },
  };
}

/**
 * Max over each window of `planes` consecutive planes: y[p, o] = max of x[p, t] over the window's
 * taps t in the image (padding never wins). argmax[p, o] is the flat index into x of the first
 * maximum in row-major window order (strict `>` keeps the earliest on ties; a NaN first tap
 * propagates). y and argmax hold planes·outPlane elements.
 */
export function windowMax(x: F, planes: number, plan: WindowPlan, y: F, argmax: Int32Array, kernels?: CpuKernels): void {
  const { rows, cols, leadStart, leadOffsets } = plan;
  // 2×2 windows at stride 2 inside the image (the common max pooling), on the wasm kernels when
  // the arrays live in the wasm heap.
  const path = kernels ?? cpuKernels();
  if (path !== 'ts' && plan.lead.length === 0 && x instanceof Float32Array && y instanceof Float32Array && residency(x, y, argmax) === 7 && pairs(rows) && pairs(cols)) {
    wasmState(path).k.max_pool2(x.byteOffset, planes, rows.inSize, cols.inSize, rows.outSize, cols.outSize, y.byteOffset, argmax.byteOffset);
    return;
  }
  const W = cols.inSize;
  const rowStep = rows.step * W;
  const colStep = cols.step;
  let yo = 0;
  for (let p = 0; p < planes; p++) {
    const xb = p * plan.inPlane;
    for (let l = 0; l < plan.leadOut; l++) {
      const s0 = leadStart[l];
      const s1 = leadStart[l + 1];
      for (let oh = 0; oh < rows.outSize; oh++) {
        const r0 = xb + rows.first[oh] * W;
        const rn = rows.count[oh];
        for (let ow = 0; ow < cols.outSize; ow++) {
          const cn = cols.count[ow];
          const c0 = r0 + cols.first[ow];
          let bi = c0 + leadOffsets[s0];
          let best = x[bi];
          for (let s = s0; s < s1; s++) {
            let r = c0 + leadOffsets[s];
            for (let i = 0; i < rn; i++, r += rowStep) {
              for (let j = 0, q = r; j < cn; j++, q += colStep) {
                const v = x[q];
                if (v > best) {
                  best = v;
                  bi = q;
                }
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
}

const pairTables = new WeakMap<WindowTable, boolean>();
/** Whether every window of the axis is 2 adjacent taps at 2·o, all in the image (memoized per table). */
function pairs(t: WindowTable): boolean {
  let v = pairTables.get(t);
  if (v === undefined) {
    v = t.step === 1 && t.inSize >= 2 * t.outSize && t.count.every((c, o) => c === 2 && t.first[o] === 2 * o);
    pairTables.set(t, v);
  }
  return v;
}

function divisorFactors(t: WindowTable, divisor: WindowDivisor): Float64Array {
  return divisor === 'image' ? t.invCount : divisor === 'padded' ? t.invPadded : t.ones;
}

/** y[p, o] = (Σ of x[p, t] over the window's taps in the image) / divisor(o). */
export function windowSum(x: F, planes: number, plan: WindowPlan, divisor: WindowDivisor, y: F): void {
  const { rows, cols, leadStart, leadOffsets } = plan;
  const W = cols.inSize;
  const rowStep = rows.step * W;
  const colStep = cols.step;
  const rf = divisorFactors(rows, divisor);
  const cf = divisorFactors(cols, divisor);
  const lf = plan.leadFactor[divisor];
  let yo = 0;
  for (let p = 0; p < planes; p++) {
    const xb = p * plan.inPlane;
    for (let l = 0; l < plan.leadOut; l++) {
      const s0 = leadStart[l];
      const s1 = leadStart[l + 1];
      const ls = lf[l];
      for (let oh = 0; oh < rows.outSize; oh++) {
        const r0 = xb + rows.first[oh] * W;
        const rn = rows.count[oh];
        const rs = rf[oh] * ls;
        for (let ow = 0; ow < cols.outSize; ow++) {
          const cn = cols.count[ow];
          const c0 = r0 + cols.first[ow];
          let acc = 0;
          for (let s = s0; s < s1; s++) {
            let r = c0 + leadOffsets[s];
            for (let i = 0; i < rn; i++, r += rowStep) {
              for (let j = 0, q = r; j < cn; j++, q += colStep) acc += x[q];
            }
          }
          y[yo++] = acc * rs * cf[ow];
        }
      }
    }
  }
}

/** Backward of windowSum: dx[p, t] = Σ over the windows o containing tap t of dy[p, o] / divisor(o). Overwrites dx. */
export function windowSumBackward(dy: F, planes: number, plan: WindowPlan, divisor: WindowDivisor, dx: F): void {
  const { rows, cols, leadStart, leadOffsets } = plan;
  const W = cols.inSize;
  const rowStep = rows.step * W;
  const colStep = cols.step;
  const rf = divisorFactors(rows, divisor);
  const cf = divisorFactors(cols, divisor);
  const lf = plan.leadFactor[divisor];
  dx.fill(0, 0, planes * plan.inPlane);
  let yo = 0;
  for (let p = 0; p < planes; p++) {
    const xb = p * plan.inPlane;
    for (let l = 0; l < plan.leadOut; l++) {
      const s0 = leadStart[l];
      const s1 = leadStart[l + 1];
      const ls = lf[l];
      for (let oh = 0; oh < rows.outSize; oh++) {
        const r0 = xb + rows.first[oh] * W;
        const rn = rows.count[oh];
        const rs = rf[oh] * ls;
        for (let ow = 0; ow < cols.outSize; ow++) {
          const cn = cols.count[ow];
          const g = dy[yo++] * rs * cf[ow];
          const c0 = r0 + cols.first[ow];
          for (let s = s0; s < s1; s++) {
            let r = c0 + leadOffsets[s];
            for (let i = 0; i < rn; i++, r += rowStep) {
              for (let j = 0, q = r; j < cn; j++, q += colStep) dx[q] += g;
            }
          }
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
