/**
 * Test-only reference: pooling written as the plain loops of the ONNX operator text, with no
 * tables and nothing shared with the package: every output position enumerates its window's taps
 * in padded coordinates and tests each one against the image bounds.
 */
export interface NaiveAttrs {
  readonly kernelShape: readonly number[];
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly ceilMode?: boolean;
  readonly autoPad?: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  readonly countIncludePad?: boolean;
  readonly storageOrder?: number;
}

export type NaiveKind = 'max' | 'avg' | 'sum';

interface Axis {
  readonly size: number;
  readonly k: number;
  readonly s: number;
  readonly d: number;
  readonly pb: number;
  readonly pe: number;
  readonly out: number;
}

/** Per-axis geometry, or a reason string when ONNX semantics leave the case undefined/invalid. */
export function naiveAxes(a: NaiveAttrs, spatial: readonly number[]): Axis[] | string {
  const r = a.kernelShape.length;
  const axes: Axis[] = [];
  if (a.ceilMode && (a.autoPad ?? 'NOTSET') !== 'NOTSET') return 'ceil_mode with auto_pad is undefined in ONNX';
  for (let i = 0; i < r; i++) {
    const size = spatial[i];
    const k = a.kernelShape[i];
    const s = a.strides?.[i] ?? 1;
    const d = a.dilations?.[i] ?? 1;
    const ext = d * (k - 1) + 1;
    let pb = a.pads?.[i] ?? 0;
    let pe = a.pads?.[r + i] ?? 0;
    let out = 0;
    const auto = a.autoPad ?? 'NOTSET';
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
      out = Math.ceil(size / s);
      const total = Math.max(0, (out - 1) * s + ext - size);
      pb = auto === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pe = total - pb;
    } else {
      if (auto === 'VALID') pb = pe = 0;
      const padded = size + pb + pe;
      if (ext > padded) return `window ${ext} > padded ${padded}`;
      // Count window starts (padded coordinates) one by one: floor mode needs the whole window
      // inside the padded extent; ceil mode also accepts a partial window that overhangs by less
      // than one stride. Then, as the ONNX text says, ceil mode drops a last window that starts
      // in the end padding.
      for (let start = 0; ; start += s) {
        const fits = start + ext <= padded;
        const partial = a.ceilMode && start + ext - padded < s;
        if (!(fits || partial)) break;
        out++;
      }
      if (a.ceilMode && (out - 1) * s >= size + pb) out--;
    }
    for (let o = 0; o < out; o++) {
      let any = false;
      for (let j = 0; j < k; j++) {
        const p = o * s - pb + j * d;
        if (p >= 0 && p < size) any = true;
      }
      if (!any) return `window ${o} on axis ${i} is all padding`;
    }
    axes.push({ size, k, s, d, pb, pe, out });
  }
  return axes;
}

export interface NaiveResult {
  readonly y: Float64Array;
  readonly shape: number[];
  /** For 'max': flat input index of the first maximum of each window (row-major window order). */
  readonly argmax: Int32Array;
  /** Divisor used for each output (1 for max and sum). */
  readonly divisor: Float64Array;
  /** argmax with the spatial position read column-major (first spatial axis fastest; ONNX storage_order 1). */
  readonly argmaxColumnMajor: Int32Array;
  /** Flat input indices of each output's in-image taps, row-major window order. */
  readonly members: readonly (readonly number[])[];
}

/** Row-major multi-indices of a box of `sizes` (a plain enumeration, no tables). */
function box(sizes: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of sizes) out = out.flatMap((pre) => Array.from({ length: n }, (_, i) => [...pre, i]));
  return out;
}

/** Pools x of shape [N, C, ...spatial] (any number of spatial dims) by the ONNX definition. */
export function naivePool(kind: NaiveKind, x: ArrayLike<number>, shape: readonly number[], a: NaiveAttrs): NaiveResult {
  const axes = naiveAxes(a, shape.slice(2));
  if (typeof axes === 'string') throw new Error(`naivePool: invalid case (${axes})`);
  const spatial = shape.slice(2);
  const inPlane = spatial.reduce((p, d) => p * d, 1);
  const planes = shape[0] * shape[1];
  const outShape = [shape[0], shape[1], ...axes.map((ax) => ax.out)];
  const outs = box(axes.map((ax) => ax.out));
  const taps = box(axes.map((ax) => ax.k));
  const n = planes * outs.length;
  const y = new Float64Array(n);
  const argmax = new Int32Array(n).fill(-1);
  const argmaxColumnMajor = new Int32Array(n).fill(-1);
  const divisor = new Float64Array(n);
  const members: number[][] = [];
  let idx = 0;
  for (let p = 0; p < planes; p++) {
    for (const o of outs) {
      let best = -Infinity;
      let arg = -1;
      let argCol = -1;
      let sum = 0;
      let inPadded = 0;
      const inside: number[] = [];
      for (const j of taps) {
        const pos = axes.map((ax, i) => o[i] * ax.s - ax.pb + j[i] * ax.d);
        if (pos.every((q, i) => q < axes[i].size + axes[i].pe)) inPadded++;
        if (!pos.every((q, i) => q >= 0 && q < spatial[i])) continue;
        const at = p * inPlane + pos.reduce((acc, q, i) => acc * spatial[i] + q, 0);
        inside.push(at);
        sum += x[at];
        if (arg < 0 || x[at] > best) {
          best = x[at];
          arg = at;
          argCol = p * inPlane + pos.reduce((acc, q, i) => acc + q * spatial.slice(0, i).reduce((m, d) => m * d, 1), 0);
        }
      }
      const div = kind === 'avg' ? (a.countIncludePad ? inPadded : inside.length) : 1;
      y[idx] = kind === 'max' ? best : sum / div;
      argmax[idx] = arg;
      argmaxColumnMajor[idx] = argCol;
      divisor[idx] = div;
      members.push(inside);
      idx++;
    }
  }
  return { y, shape: outShape, argmax, argmaxColumnMajor, divisor, members };
}

/** The adjoint of naivePool: dx for a given dy (max: to the first arg-max; avg/sum: spread over in-image taps). */
export function naivePoolBackward(kind: NaiveKind, dy: ArrayLike<number>, shape: readonly number[], _a: NaiveAttrs, fwd: NaiveResult): Float64Array {
  const dx = new Float64Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < dy.length; i++) {
    if (kind === 'max') dx[fwd.argmax[i]] += dy[i];
    else for (const t of fwd.members[i]) dx[t] += dy[i] / fwd.divisor[i];
  }
  return dx;
}
