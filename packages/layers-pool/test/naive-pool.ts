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
}

/** Pools x of shape [N, C, ...spatial] (1 or 2 spatial dims) by the ONNX definition. */
export function naivePool(kind: NaiveKind, x: ArrayLike<number>, shape: readonly number[], a: NaiveAttrs): NaiveResult {
  const axes = naiveAxes(a, shape.slice(2));
  if (typeof axes === 'string') throw new Error(`naivePool: invalid case (${axes})`);
  const two = axes.length === 2;
  const H = two ? shape[2] : 1;
  const W = shape[shape.length - 1];
  const ah: Axis = two ? axes[0] : { size: 1, k: 1, s: 1, d: 1, pb: 0, pe: 0, out: 1 };
  const aw = axes[axes.length - 1];
  const planes = shape[0] * shape[1];
  const outShape = [shape[0], shape[1], ...axes.map((ax) => ax.out)];
  const n = planes * ah.out * aw.out;
  const y = new Float64Array(n);
  const argmax = new Int32Array(n).fill(-1);
  const divisor = new Float64Array(n);
  let idx = 0;
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < ah.out; oh++) {
      for (let ow = 0; ow < aw.out; ow++) {
        let best = -Infinity;
        let arg = -1;
        let sum = 0;
        let inImage = 0;
        let inPadded = 0;
        for (let jh = 0; jh < ah.k; jh++) {
          const h = oh * ah.s - ah.pb + jh * ah.d;
          for (let jw = 0; jw < aw.k; jw++) {
            const w = ow * aw.s - aw.pb + jw * aw.d;
            if (h < ah.size + ah.pe && w < aw.size + aw.pe) inPadded++;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            inImage++;
            const at = p * H * W + h * W + w;
            sum += x[at];
            if (arg < 0 || x[at] > best) {
              best = x[at];
              arg = at;
            }
          }
        }
        const div = kind === 'avg' ? (a.countIncludePad ? inPadded : inImage) : 1;
        y[idx] = kind === 'max' ? best : sum / div;
        argmax[idx] = arg;
        divisor[idx] = div;
        idx++;
      }
    }
  }
  return { y, shape: outShape, argmax, divisor };
}

/** The adjoint of naivePool: dx for a given dy (max: to the first arg-max; avg/sum: spread over in-image taps). */
export function naivePoolBackward(kind: NaiveKind, dy: ArrayLike<number>, shape: readonly number[], a: NaiveAttrs, fwd: NaiveResult): Float64Array {
  const dx = new Float64Array(shape.reduce((p, d) => p * d, 1));
  if (kind === 'max') {
    for (let i = 0; i < dy.length; i++) dx[fwd.argmax[i]] += dy[i];
    return dx;
  }
  // avg/sum are linear: dx[t] = Σ_o dy[o]/div[o] over windows o containing t; reuse the forward
  // by pooling each unit vector would be O(n²), so enumerate taps directly.
  const axes = naiveAxes(a, shape.slice(2)) as Axis[];
  const two = axes.length === 2;
  const H = two ? shape[2] : 1;
  const W = shape[shape.length - 1];
  const ah: Axis = two ? axes[0] : { size: 1, k: 1, s: 1, d: 1, pb: 0, pe: 0, out: 1 };
  const aw = axes[axes.length - 1];
  let idx = 0;
  for (let p = 0; p < shape[0] * shape[1]; p++) {
    for (let oh = 0; oh < ah.out; oh++) {
      for (let ow = 0; ow < aw.out; ow++, idx++) {
        for (let jh = 0; jh < ah.k; jh++) {
          const h = oh * ah.s - ah.pb + jh * ah.d;
          for (let jw = 0; jw < aw.k; jw++) {
            const w = ow * aw.s - aw.pb + jw * aw.d;
            if (h >= 0 && h < H && w >= 0 && w < W) dx[p * H * W + h * W + w] += dy[idx] / fwd.divisor[idx];
          }
        }
      }
    }
  }
  return dx;
}
