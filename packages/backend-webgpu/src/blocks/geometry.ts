// Sliding-window geometry shared by im2col/col2im and the window block: 1-D windows are 2-D
// windows with height 1, so every caller speaks in two dimensions.
import { HubelError } from '@hubel/core';

/** A 1-D or 2-D window with ONNX's conventions: pads are [begins…, ends…]. */
export interface WindowGeometry {
  /** Window size per spatial axis: `[kW]` or `[kH, kW]`. */
  readonly kernelShape: readonly number[];
  /** Step per axis; default 1. */
  readonly strides?: readonly number[];
  /** Begins, then ends; default 0. */
  readonly pads?: readonly number[];
  /** Tap spacing per axis; default 1. */
  readonly dilations?: readonly number[];
}

/** The 2-D form: [height, width] pairs, pads as top, left, bottom, right. */
export interface Window2d {
  /** Kernel height. */
  readonly kh: number;
  /** Kernel width. */
  readonly kw: number;
  /** Vertical stride. */
  readonly sh: number;
  /** Horizontal stride. */
  readonly sw: number;
  /** Top padding. */
  readonly pt: number;
  /** Left padding. */
  readonly pl: number;
  /** Bottom padding. */
  readonly pb: number;
  /** Right padding. */
  readonly pr: number;
  /** Vertical dilation. */
  readonly dh: number;
  /** Horizontal dilation. */
  readonly dw: number;
}

/** The 2-D form of a 1-D or 2-D window (1-D: height 1); `what` names the caller in errors. */
export function window2d(g: WindowGeometry, what: string): Window2d {
  const r = g.kernelShape.length;
  if (r !== 1 && r !== 2) throw new HubelError('shape', `${what}: 1-D or 2-D windows only, found a rank-${r} kernel`);
  const s = g.strides ?? Array(r).fill(1);
  const p = g.pads ?? Array(2 * r).fill(0);
  const d = g.dilations ?? Array(r).fill(1);
  if (s.length !== r || p.length !== 2 * r || d.length !== r) {
    throw new HubelError('shape', `${what}: kernelShape has ${r} dims but strides/pads/dilations have ${s.length}/${p.length}/${d.length} (expected ${r}/${2 * r}/${r})`);
  }
  return r === 2
    ? { kh: g.kernelShape[0], kw: g.kernelShape[1], sh: s[0], sw: s[1], pt: p[0], pl: p[1], pb: p[2], pr: p[3], dh: d[0], dw: d[1] }
    : { kh: 1, kw: g.kernelShape[0], sh: 1, sw: s[0], pt: 0, pl: p[0], pb: 0, pr: p[1], dh: 1, dw: d[0] };
}

/** Output extent of a window over `size` (floor mode, or ceil mode when asked). */
export function outExtent(size: number, k: number, s: number, padBegin: number, padEnd: number, d: number, ceil = false): number {
  const span = size + padBegin + padEnd - d * (k - 1) - 1;
  const o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  return o;
}

/** The window's uniform fields, in the order the WGSL of im2col/window declares them. */
export function windowUniforms(w: Window2d): number[] {
  return [w.kh, w.kw, w.sh, w.sw, w.pt, w.pl, w.dh, w.dw];
}

/** The uniform fields `windowUniforms` fills. */
export const WINDOW_UNIFORMS = [
  ['kh', 'u32'], ['kw', 'u32'], ['sh', 'u32'], ['sw', 'u32'], ['pt', 'u32'], ['pl', 'u32'], ['dh', 'u32'], ['dw', 'u32'],
] as const;

/** One spatial axis of a backward gather: WGSL names of its input position and uniforms. */
export interface GatherAxis {
  /** Input coordinate (a WGSL u32 expression), e.g. 'yy'. */
  readonly pos: string;
  /** Tap and output index variables this axis declares, e.g. 'ky', 'oy'. */
  readonly tap: string;
  readonly out: string;
  /** Uniform names: kernel size, begin pad, dilation, stride, output extent. */
  readonly kernel: string;
  readonly pad: string;
  readonly dilation: string;
  readonly stride: string;
  readonly outSize: string;
}

/**
 * WGSL loops over the windows that reach one input position (the gather form of a window
 * backward, no atomics): along each axis, output o reads input pos through tap k when
 * o·stride = pos + pad − k·dilation. `body` runs once per (tap, output) with every axis's
 * `tap` and `out` variables bound. Used by col2im and the window block's backward.
 */
export function reachingWindowsWgsl(axes: readonly GatherAxis[], body: string): string {
  let open = '';
  for (const a of axes) {
    open += `for (var ${a.tap} = 0u; ${a.tap} < u.${a.kernel}; ${a.tap}++) {
  let t_${a.out} = i32(${a.pos} + u.${a.pad}) - i32(${a.tap} * u.${a.dilation});
  if (t_${a.out} < 0 || t_${a.out} % i32(u.${a.stride}) != 0) { continue; }
  let ${a.out} = u32(t_${a.out}) / u.${a.stride};
  if (${a.out} >= u.${a.outSize}) { continue; }
`;
  }
  return `${open}${body}\n${'}\n'.repeat(axes.length)}`;
}

/** The height and width axes of `reachingWindowsWgsl` over the uniforms of WINDOW_UNIFORMS. */
export const GATHER_YX: readonly GatherAxis[] = [
  { pos: 'yy', tap: 'ky', out: 'oy', kernel: 'kh', pad: 'pt', dilation: 'dh', stride: 'sh', outSize: 'oh' },
  { pos: 'xx', tap: 'kx', out: 'ox', kernel: 'kw', pad: 'pl', dilation: 'dw', stride: 'sw', outSize: 'ow' },
];
