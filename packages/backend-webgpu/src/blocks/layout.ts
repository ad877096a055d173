// Data movement blocks on tensors of rank ≤ 6: `permute` (y[i_perm] = x[i], ONNX Transpose),
// `expand` (numpy broadcasting materialized: the same strided gather with stride 0 on the
// broadcast axes) and `pad` / `padBackward` (ONNX Pad with constant, reflect and edge modes).
// Shapes and strides go in the uniform block as padded arrays, so one pipeline serves every
// rank up to 6.
//
// Pad maps each output coordinate o of an axis to a source s = o − begin: constant leaves
// s ∉ [0, d) empty, reflect mirrors without repeating the border (s < 0 → −s, s ≥ d → 2(d−1) − s),
// edge clamps. Its adjoint sums dy over every o with src(o) = s; it is applied one padded axis
// at a time (a gather along that axis), which needs no atomics.
import { HubelError, fmtShape, sizeOf, type Shape, type Tensor } from '@hubel/core';
import type { WebGpuBackend } from '../backend.js';
import { LINEAR_INDEX, grid, read, write, type Program } from '../program.js';

const RANK = 6;

/** ONNX Pad's modes: a constant value, mirror without repeating the border, or repeat the border. */
export type PadMode = 'constant' | 'reflect' | 'edge';

const dims = (prefix: string) => Array.from({ length: RANK }, (_, i) => [`${prefix}${i}`, 'u32'] as const);

/** Row-major strides. */
function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Left-pads per-axis values to RANK entries (leading axes of size 1). */
function padTo<T>(values: readonly T[], fill: T): T[] {
  return [...Array<T>(RANK - values.length).fill(fill), ...values];
}

const PERMUTE: Program = {
  name: 'permute',
  key: 'permute',
  // Output shape o0…o5 and, for each output axis, the stride of the input axis it reads.
  uniforms: [['total', 'u32'], ...dims('o'), ...dims('s')],
  storage: [read('src'), write('dst')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  var rest = i;
  var off = 0u;
${[5, 4, 3, 2, 1, 0].map((d) => `  off += (rest % u.o${d}) * u.s${d}; rest /= u.o${d};`).join('\n')}
  dst[i] = src[off];
}
`,
};

/** y = x with axes permuted: y.shape[j] = x.shape[perm[j]]; a fresh tensor. */
export function permute(be: WebGpuBackend, x: Tensor, perm: readonly number[]): Tensor {
  const r = x.shape.length;
  if (r > RANK || perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new HubelError('shape', `permute: [${perm.join(', ')}] is not a permutation of the ${r} axes of ${fmtShape(x.shape)} (rank ≤ ${RANK})`);
  }
  const inStrides = stridesOf(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const y = be.alloc(outShape, x.dtype);
  be.run(PERMUTE, [x, y], [y.size, ...padTo(outShape, 1), ...padTo(perm.map((p) => inStrides[p]), 0)], grid(y.size));
  return y;
}

/**
 * x (read as `xShape`, default its own shape) broadcast to `shape` under numpy rules (shapes
 * right-aligned; each axis of x equal to the target's or 1); a fresh tensor. Adjacent axes that read x contiguously (or both broadcast)
 * are merged first, so targets of any rank work while at most 6 merged runs remain.
 */
export function expand(be: WebGpuBackend, x: Tensor, shape: Shape, xShape: Shape = x.shape): Tensor {
  const r = shape.length;
  const bad = () => new HubelError('shape', `expand: ${fmtShape(xShape)} does not broadcast to ${fmtShape(shape)}`);
  if (sizeOf(xShape) !== x.size) throw new HubelError('shape', `expand: ${fmtShape(x.shape)} cannot be read as ${fmtShape(xShape)}`);
  if (xShape.length > r) throw bad();
  const inStrides = stridesOf(xShape);
  // Per target axis: its size and the stride x advances by along it (0 where x is broadcast).
  const runs: { size: number; stride: number }[] = [];
  for (let j = 0; j < r; j++) {
    const k = j - (r - xShape.length);
    const d = k >= 0 ? xShape[k] : 1;
    if (d !== shape[j] && d !== 1) throw bad();
    if (shape[j] === 1) continue;
    const stride = d === 1 ? 0 : inStrides[k];
    const last = runs[runs.length - 1];
    if (last && last.stride === stride * shape[j]) {
      last.size *= shape[j];
      last.stride = stride;
    } else runs.push({ size: shape[j], stride });
  }
  if (runs.length > RANK) throw new HubelError('shape', `expand: ${fmtShape(x.shape)} to ${fmtShape(shape)} needs ${runs.length} strided runs, more than ${RANK}`);
  const y = be.alloc(shape, x.dtype);
  be.run(PERMUTE, [x, y], [y.size, ...padTo(runs.map((q) => q.size), 1), ...padTo(runs.map((q) => q.stride), 0)], grid(y.size));
  return y;
}

// src(o) along one axis, or −1 when the output position reads the constant.
const SOURCE = /* wgsl */ `
fn source(o: i32, d: i32, mode: u32) -> i32 {
  if (o >= 0 && o < d) { return o; }
  if (mode == 1u) { return select(2 * (d - 1) - o, -o, o < 0); }
  if (mode == 2u) { return clamp(o, 0, d - 1); }
  return -1;
}
`;

const MODE = { constant: 0, reflect: 1, edge: 2 } as const;

const PAD: Program = {
  name: 'pad',
  key: 'pad',
  uniforms: [['total', 'u32'], ['mode', 'u32'], ['value', 'f32'], ...dims('o'), ...dims('d'), ...dims('b')],
  storage: [read('src'), write('dst')],
  body: () => /* wgsl */ `${LINEAR_INDEX}${SOURCE}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  var rest = i;
  var off = 0u;
  var stride = 1u;
  var inside = true;
${[5, 4, 3, 2, 1, 0]
  .map((d) => `  {
    let s = source(i32(rest % u.o${d}) - i32(u.b${d}), i32(u.d${d}), u.mode);
    rest /= u.o${d};
    inside = inside && s >= 0;
    off += u32(max(s, 0)) * stride;
    stride *= u.d${d};
  }`)
  .join('\n')}
  dst[i] = select(u.value, src[off], inside);
}
`,
};

const PAD_AXIS_BACKWARD: Program = {
  name: 'pad.backward',
  key: 'pad.backward',
  // dy viewed as [outer, out, inner] along the axis, dx as [outer, d, inner].
  uniforms: [['total', 'u32'], ['mode', 'u32'], ['inner', 'u32'], ['d', 'u32'], ['out', 'u32'], ['begin', 'u32']],
  storage: [read('dy'), write('dx')],
  body: () => /* wgsl */ `${LINEAR_INDEX}${SOURCE}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  let inn = i % u.inner;
  let s = i32((i / u.inner) % u.d);
  let outer = i / (u.inner * u.d);
  var acc = 0.0;
  for (var o = 0u; o < u.out; o++) {
    if (source(i32(o) - i32(u.begin), i32(u.d), u.mode) == s) { acc += dy[(outer * u.out + o) * u.inner + inn]; }
  }
  dx[i] = acc;
}
`,
};

function checkPads(x: Shape, pads: readonly number[], mode: PadMode, what: string): void {
  const r = x.length;
  if (r > RANK || pads.length !== 2 * r || pads.some((p) => !(Number.isInteger(p) && p >= 0))) {
    throw new HubelError('shape', `${what}: pads [${pads.join(', ')}] do not fit ${fmtShape(x)} (2 non-negative values per axis, rank ≤ ${RANK})`);
  }
  if (mode === 'reflect' && x.some((d, i) => pads[i] > d - 1 || pads[i + r] > d - 1)) {
    throw new HubelError('shape', `${what}: reflect pads [${pads.join(', ')}] exceed size − 1 of ${fmtShape(x)}`);
  }
}

/** x padded by `pads` ([begins…, ends…], ONNX order); a fresh tensor. */
export function pad(be: WebGpuBackend, x: Tensor, pads: readonly number[], mode: PadMode, value = 0): Tensor {
  checkPads(x.shape, pads, mode, 'pad');
  const r = x.shape.length;
  const outShape = x.shape.map((d, i) => d + pads[i] + pads[i + r]);
  const y = be.alloc(outShape);
  be.run(PAD, [x, y], [y.size, MODE[mode], value, ...padTo(outShape, 1), ...padTo(x.shape, 1), ...padTo(pads.slice(0, r), 0)], grid(y.size));
  return y;
}

/** The adjoint of `pad`: dx of `xShape` from dy, one padded axis at a time; a fresh tensor. */
export function padBackward(be: WebGpuBackend, dy: Tensor, xShape: Shape, pads: readonly number[], mode: PadMode): Tensor {
  checkPads(xShape, pads, mode, 'pad.backward');
  const r = xShape.length;
  const shape = xShape.map((d, i) => d + pads[i] + pads[i + r]);
  if (sizeOf(shape) !== dy.size) throw new HubelError('shape', `pad.backward: dy ${fmtShape(dy.shape)} is not the padded shape ${fmtShape(shape)}`);
  let cur = dy;
  for (let a = 0; a < r; a++) {
    if (shape[a] === xShape[a]) continue;
    const next = [...shape];
    next[a] = xShape[a];
    const t = be.alloc(next);
    const inner = sizeOf(shape.slice(a + 1));
    be.run(PAD_AXIS_BACKWARD, [cur, t], [t.size, MODE[mode], inner, xShape[a], shape[a], pads[a]], grid(t.size));
    if (cur !== dy) cur.dispose();
    cur = t;
    shape[a] = xShape[a];
  }
  if (cur === dy) {
    const copy = be.alloc(xShape);
    be.copyInto(dy, copy, 'pad.backward');
    return copy;
  }
  return cur;
}
