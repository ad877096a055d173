// Window iteration for pooling and local normalizations, on x viewed as [outer, D, H, W, inner]:
//   y[o, oz, oy, ox, i] = ⊕ over kz < kd, ky < kh, kx < kw of
//                         x[o, oz·sd − pf + kz·dd, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, i]
// with ⊕ ∈ {max (and its argmax), avg, sum, sumsq}. Pooling over NCHW is outer = N·C, inner = 1;
// a cross-channel window (LRN) is outer = N, H = C, W = 1, inner = H·W with a kh × 1 window.
// The depth axis D (3-D pooling; kernel kd, stride sd, dilation dd, front pad pf: uniforms kz, sz,
// dz, pz) is optional: without it D = 1 and the window is 2-D.
// The backward pass is a gather: each x element sums dy over the windows that contain it
// (only the window whose argmax it is, for max), so no atomics are needed.
import { HubelError, fmtShape, type Tensor } from '@hubel/core';
import type { WebGpuBackend } from '../backend.js';
import { LINEAR_INDEX, grid, read, write, type Program } from '../program.js';
import { GATHER_YX, WINDOW_UNIFORMS, outExtent, reachingWindowsWgsl, windowUniforms, type Window2d } from './geometry.js';

/** What a window computes: max (with argmax), average, sum, or sum of squares (LRN). */
export type WindowOp = 'max' | 'avg' | 'sum' | 'sumsq';

/** A window along the optional depth axis of a `WindowView` (3-D pooling's first spatial axis). */
export interface WindowDepth {
  /** Input and output extents along depth. */
  readonly size: number;
  /** Output extent along depth. */
  readonly outSize: number;
  /** Window size along depth. */
  readonly kernel: number;
  /** Step along depth. */
  readonly stride: number;
  /** Tap spacing along depth. */
  readonly dilation: number;
  /** Padding before the first depth slice. */
  readonly padBegin: number;
  /** Padding after the last depth slice. */
  readonly padEnd: number;
}

/** x viewed as [outer, (depth,) h, w, inner] with a 2-D window over (h, w), or 3-D with `depth`. */
export interface WindowView {
  /** Product of the axes before the window (N·C for NCHW pooling). */
  readonly outer: number;
  /** Input height. */
  readonly h: number;
  /** Input width. */
  readonly w: number;
  /** Product of the axes after the window (1 for NCHW pooling). */
  readonly inner: number;
  /** The 2-D window over (h, w). */
  readonly window: Window2d;
  /** Output extents in ceil mode (pooling's ceil_mode); default floor. */
  readonly ceil?: boolean;
  /** avg only: divide by the whole window including padding (default false: valid positions only). */
  readonly countIncludePad?: boolean;
  /** Output extents when the caller has resolved them (ONNX ceil mode drops a window that starts in the end padding). */
  readonly outH?: number;
  /** Output width when the caller has resolved it (as `outH`). */
  readonly outW?: number;
  /** A third, outermost spatial axis; absent: depth 1 (a 1-D or 2-D window). */
  readonly depth?: WindowDepth;
}

/** One spatial axis of a window as layer packages resolve it (ONNX semantics, auto_pad applied). */
export interface WindowAxis {
  /** Input size along the axis. */
  readonly inSize: number;
  /** Output size along the axis. */
  readonly outSize: number;
  /** Window size along the axis. */
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

/**
 * The view of x [outer, (D,) (H,) W, inner] for one, two or three resolved axes (1-D: H = 1;
 * 3-D: the first axis is the depth), with the axes' own output sizes. Throws a HubelError for
 * more than three axes (the shader walks at most three).
 */
export function windowView(outer: number, axes: readonly WindowAxis[], inner = 1, countIncludePad = false): WindowView {
  if (axes.length < 1 || axes.length > 3) throw new HubelError('shape', `window: 1 to 3 spatial axes on WebGPU, found ${axes.length}`);
  const one: WindowAxis = { inSize: 1, outSize: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 };
  const [a, b] = axes.length === 1 ? [one, axes[0]] : axes.slice(-2);
  const z = axes.length === 3 ? axes[0] : undefined;
  return {
    outer, h: a.inSize, w: b.inSize, inner, countIncludePad, outH: a.outSize, outW: b.outSize,
    window: { kh: a.kernel, kw: b.kernel, sh: a.stride, sw: b.stride, pt: a.padBegin, pl: b.padBegin, pb: a.padEnd, pr: b.padEnd, dh: a.dilation, dw: b.dilation },
    ...(z ? { depth: { size: z.inSize, outSize: z.outSize, kernel: z.kernel, stride: z.stride, dilation: z.dilation, padBegin: z.padBegin, padEnd: z.padEnd } } : {}),
  };
}

const NO_DEPTH: WindowDepth = { size: 1, outSize: 1, kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 };

// Depth axis: zd (size), oz (outputs), zEnd (padded end), kz, sz, pz (begin pad), dz (dilation).
const VIEW_UNIFORMS = [
  ['total', 'u32'], ['h', 'u32'], ['w', 'u32'], ['inner', 'u32'], ['oh', 'u32'], ['ow', 'u32'], ['hEnd', 'i32'], ['wEnd', 'i32'], ['includePad', 'u32'], ...WINDOW_UNIFORMS,
  ['zd', 'u32'], ['oz', 'u32'], ['zEnd', 'i32'], ['kz', 'u32'], ['sz', 'u32'], ['pz', 'u32'], ['dz', 'u32'],
] as const;

// Window start and the number of positions counted by avg: valid ones, or with countIncludePad
// those within the padded extent [−pt, h + pb) (ONNX never counts positions past that, which
// only ceil mode creates).
const WINDOW_HELPERS = /* wgsl */ `
fn windowCount(oz: u32, oy: u32, ox: u32) -> f32 {
  var cnt = 0u;
  for (var kz = 0u; kz < u.kz; kz++) {
    let z = i32(oz * u.sz + kz * u.dz) - i32(u.pz);
    let lo0 = select(0, -i32(u.pz), u.includePad == 1u);
    let hi0 = select(i32(u.zd), u.zEnd, u.includePad == 1u);
    if (z < lo0 || z >= hi0) { continue; }
    for (var ky = 0u; ky < u.kh; ky++) {
      let y = i32(oy * u.sh + ky * u.dh) - i32(u.pt);
      let lo = select(0, -i32(u.pt), u.includePad == 1u);
      let hi = select(i32(u.h), u.hEnd, u.includePad == 1u);
      if (y < lo || y >= hi) { continue; }
      for (var kx = 0u; kx < u.kw; kx++) {
        let x = i32(ox * u.sw + kx * u.dw) - i32(u.pl);
        let lo2 = select(0, -i32(u.pl), u.includePad == 1u);
        let hi2 = select(i32(u.w), u.wEnd, u.includePad == 1u);
        if (x >= lo2 && x < hi2) { cnt++; }
      }
    }
  }
  return f32(max(cnt, 1u));
}
`;

function forwardProgram(op: WindowOp): Program {
  const init = op === 'max' ? '-3.402823e38' : '0.0';
  const update =
    op === 'max' ? 'if (v > acc) { acc = v; arg = (z * i32(u.h) + y) * i32(u.w) + x; }'
    : op === 'sumsq' ? 'acc += v * v;'
    : 'acc += v;';
  return {
    name: `window.${op}`,
    key: `window|${op}`,
    uniforms: [...VIEW_UNIFORMS],
    storage: [read('src'), write('dst'), ...(op === 'max' ? [write('argmax', 'i32')] : [])],
    body: () => /* wgsl */ `${LINEAR_INDEX}${WINDOW_HELPERS}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  let inn = i % u.inner;
  let ox = (i / u.inner) % u.ow;
  let oy = (i / (u.inner * u.ow)) % u.oh;
  let oz = (i / (u.inner * u.ow * u.oh)) % u.oz;
  let o = i / (u.inner * u.ow * u.oh * u.oz);
  var acc = ${init};
  var arg = -1;
  for (var kz = 0u; kz < u.kz; kz++) {
    let z = i32(oz * u.sz + kz * u.dz) - i32(u.pz);
    if (z < 0 || z >= i32(u.zd)) { continue; }
    for (var ky = 0u; ky < u.kh; ky++) {
      let y = i32(oy * u.sh + ky * u.dh) - i32(u.pt);
      if (y < 0 || y >= i32(u.h)) { continue; }
      for (var kx = 0u; kx < u.kw; kx++) {
        let x = i32(ox * u.sw + kx * u.dw) - i32(u.pl);
        if (x < 0 || x >= i32(u.w)) { continue; }
        let v = src[(((o * u.zd + u32(z)) * u.h + u32(y)) * u.w + u32(x)) * u.inner + inn];
        ${update}
      }
    }
  }
  ${op === 'avg' ? 'acc = acc / windowCount(oz, oy, ox);' : ''}
  dst[i] = acc;
  ${op === 'max' ? 'argmax[i] = arg;' : ''}
}
`,
  };
}

function backwardProgram(op: WindowOp): Program {
  const take =
    op === 'max' ? 'if (argmax[j] == i32((zz * u.h + yy) * u.w + xx)) { acc += dy[j]; }'
    : op === 'avg' ? 'acc += dy[j] / windowCount(oz, oy, ox);'
    : 'acc += dy[j];';
  return {
    name: `window.${op}.backward`,
    key: `window-backward|${op}`,
    uniforms: [...VIEW_UNIFORMS],
    storage: [read('dy'), ...(op === 'max' ? [read('argmax', 'i32')] : []), write('dx')],
    body: () => /* wgsl */ `${LINEAR_INDEX}${WINDOW_HELPERS}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  let inn = i % u.inner;
  let xx = (i / u.inner) % u.w;
  let yy = (i / (u.inner * u.w)) % u.h;
  let zz = (i / (u.inner * u.w * u.h)) % u.zd;
  let o = i / (u.inner * u.w * u.h * u.zd);
  var acc = 0.0;
  ${reachingWindowsWgsl(
    [{ pos: 'zz', tap: 'kz', out: 'oz', kernel: 'kz', pad: 'pz', dilation: 'dz', stride: 'sz', outSize: 'oz' }, ...GATHER_YX],
    `let j = (((o * u.oz + oz) * u.oh + oy) * u.ow + ox) * u.inner + inn;\n${take}`,
  )}
  dx[i] = acc;
}
`,
  };
}

function extents(v: WindowView): { od: number; oh: number; ow: number; uniforms: (total: number) => number[] } {
  const w = v.window;
  const z = v.depth ?? NO_DEPTH;
  const oh = v.outH ?? outExtent(v.h, w.kh, w.sh, w.pt, w.pb, w.dh, v.ceil);
  const ow = v.outW ?? outExtent(v.w, w.kw, w.sw, w.pl, w.pr, w.dw, v.ceil);
  if (oh < 1 || ow < 1) throw new HubelError('shape', `window: a ${w.kh}×${w.kw} window does not fit a ${v.h}×${v.w} input`);
  if (z.outSize < 1) throw new HubelError('shape', `window: the depth window has no outputs (size ${z.size}, kernel ${z.kernel})`);
  return {
    od: z.outSize, oh, ow,
    uniforms: (total) => [
      total, v.h, v.w, v.inner, oh, ow, v.h + w.pb, v.w + w.pr, v.countIncludePad ? 1 : 0, ...windowUniforms(w),
      z.size, z.outSize, z.size + z.padEnd, z.kernel, z.stride, z.padBegin, z.dilation,
    ],
  };
}

/**
 * Window reduction of x (viewed as `view`): fresh y [outer, (od,) oh, ow, inner] reshaped to
 * `outShape` (default that 4-D or 5-D shape), and for 'max' the int32 argmax (position
 * (z·H + y)·W + x in the window's plane) that `windowBackward` needs.
 */
export function windowForward(be: WebGpuBackend, x: Tensor, view: WindowView, op: WindowOp, outShape?: readonly number[]): { y: Tensor; argmax?: Tensor } {
  const zd = view.depth?.size ?? 1;
  if (x.size !== view.outer * zd * view.h * view.w * view.inner) throw new HubelError('shape', `window.${op}: x ${fmtShape(x.shape)} is not [${view.outer}, ${view.depth ? `${zd}, ` : ''}${view.h}, ${view.w}, ${view.inner}]`);
  const e = extents(view);
  const shape = outShape ?? (view.depth ? [view.outer, e.od, e.oh, e.ow, view.inner] : [view.outer, e.oh, e.ow, view.inner]);
  const total = view.outer * e.od * e.oh * e.ow * view.inner;
  if (shape.reduce((p, d) => p * d, 1) !== total) throw new HubelError('shape', `window.${op}: output shape ${fmtShape(shape)} does not hold ${total} values`);
  const y = be.alloc(shape);
  const argmax = op === 'max' ? be.alloc(shape, 'int32') : undefined;
  be.run(forwardProgram(op), argmax ? [x, y, argmax] : [x, y], e.uniforms(total), grid(total));
  return { y, argmax };
}

/**
 * Adjoint of `windowForward` for max, avg and sum (for sumsq, pass the sum adjoint and multiply
 * by 2x): dx of shape `xShape` with dx[p] = Σ over windows containing p of dy (avg: divided by
 * the window's count; max: only where p is the argmax). A fresh tensor.
 */
export function windowBackward(be: WebGpuBackend, dy: Tensor, view: WindowView, op: Exclude<WindowOp, 'sumsq'>, xShape: readonly number[], argmax?: Tensor): Tensor {
  const e = extents(view);
  if (dy.size !== view.outer * e.od * e.oh * e.ow * view.inner) throw new HubelError('shape', `window.${op}.backward: dy ${fmtShape(dy.shape)} does not match the window's output`);
  if (op === 'max' && !argmax) throw new HubelError('backend', 'window.max.backward needs the argmax from the forward pass');
  const total = view.outer * (view.depth?.size ?? 1) * view.h * view.w * view.inner;
  const dx = be.alloc(xShape);
  be.run(backwardProgram(op), op === 'max' ? [dy, argmax!, dx] : [dy, dx], e.uniforms(total), grid(total));
  return dx;
}

const INDICES_PROGRAM: Program = {
  name: 'window.indices',
  key: 'window-indices',
  uniforms: [['total', 'u32'], ['outPlane', 'u32'], ['zd', 'u32'], ['h', 'u32'], ['w', 'u32'], ['columnMajor', 'u32']],
  storage: [read('argmax', 'i32'), write('dst', 'i32')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  let a = u32(argmax[i]);
  let plane = (i / u.outPlane) * u.zd * u.h * u.w;
  let x = a % u.w;
  let y = (a / u.w) % u.h;
  let z = a / (u.w * u.h);
  // Column-major: the first spatial axis fastest (z + y·D + x·D·H; unit axes drop out).
  let pos = select(a, z + y * u.zd + x * u.zd * u.h, u.columnMajor == 1u);
  dst[i] = i32(plane + pos);
}
`,
};

/**
 * ONNX MaxPool's Indices from the argmax of a 'max' `windowForward` over a view with inner = 1:
 * a fresh int32 tensor of argmax's shape holding the flat index into x of each maximum, outer
 * (batch·channel) included, its spatial position read row-major or (`columnMajor`) with the
 * first spatial axis fastest.
 */
export function windowIndices(be: WebGpuBackend, argmax: Tensor, view: WindowView, columnMajor: boolean): Tensor {
  if (view.inner !== 1) throw new HubelError('shape', `window.indices: views with inner = 1 only, found inner ${view.inner}`);
  const e = extents(view);
  const outPlane = e.od * e.oh * e.ow;
  if (argmax.dtype !== 'int32' || argmax.size !== view.outer * outPlane) throw new HubelError('shape', `window.indices: argmax ${fmtShape(argmax.shape)} (${argmax.dtype}) is not the int32 output of this view`);
  const out = be.alloc(argmax.shape, 'int32');
  be.run(INDICES_PROGRAM, [argmax, out], [argmax.size, outPlane, view.depth?.size ?? 1, view.h, view.w, columnMajor ? 1 : 0], grid(argmax.size));
  return out;
}
