// Axis reductions: out[o] = ⊕_r x[offset(o) + offset(r)] for ⊕ ∈ {sum, max, mean, sumsq}.
// Kept and reduced axes are merged into at most 4 runs each (size, stride), so any axis set
// of a rank-≤8 tensor is one dispatch. Short reductions use one invocation per output; long
// ones (more than 64 terms) one workgroup per output, 256 invocations striding over the
// terms and a tree reduction in workgroup memory.
import { HubelError, fmtShape, type Tensor } from '@hubel/core';
import type { WebGpuBackend } from '../backend.js';
import { LINEAR_INDEX, WG, grid, read, write, type Program } from '../program.js';

/** What a reduction computes: Σx, max x, mean x or Σx². */
export type ReduceOp = 'sum' | 'max' | 'mean' | 'sumsq';

/** Options of the `reduce` block (a fresh tensor). */
export interface ReduceOptions {
  /** Axes to reduce over. */
  readonly axes: readonly number[];
  /** Default `'sum'`. */
  readonly op?: ReduceOp;
  /** Keep reduced axes as size 1 (default false). */
  readonly keepDims?: boolean;
  /** Shape of the result instead (same number of values), e.g. a parameter's [C, 1, 1]. */
  readonly outShape?: readonly number[];
}

const RUNS = 4;

interface Runs {
  sizes: number[];
  strides: number[];
}

/** Splits x's axes into merged kept and reduced runs, innermost last. */
function splitAxes(shape: readonly number[], reduced: readonly boolean[]): { kept: Runs; red: Runs } {
  const kept: Runs = { sizes: [], strides: [] };
  const red: Runs = { sizes: [], strides: [] };
  let stride = 1;
  const dims: { size: number; stride: number; r: boolean }[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    dims.unshift({ size: shape[i], stride, r: reduced[i] });
    stride *= shape[i];
  }
  for (const d of dims) {
    if (d.size === 1) continue;
    const runs = d.r ? red : kept;
    const last = runs.sizes.length - 1;
    // Merge with the previous run of the same kind when it is contiguous with this axis.
    if (last >= 0 && runs.strides[last] === d.size * d.stride) {
      runs.sizes[last] *= d.size;
      runs.strides[last] = d.stride;
    } else {
      runs.sizes.push(d.size);
      runs.strides.push(d.stride);
    }
  }
  return { kept, red };
}

function reduceProgram(op: ReduceOp, wide: boolean): Program {
  const init = op === 'max' ? '-3.402823e38' : '0.0';
  const term = op === 'sumsq' ? 'v * v' : 'v';
  const combine = (a: string, b: string) => (op === 'max' ? `max(${a}, ${b})` : `${a} + ${b}`);
  const finish = op === 'mean' ? 'acc / f32(u.nRed)' : 'acc';
  const runs = [0, 1, 2, 3];
  const offsets = /* wgsl */ `
fn keptOffset(o: u32) -> u32 {
  var rest = o;
  var off = 0u;
${runs.map((q) => `  off += (rest % u.ks${3 - q}) * u.kt${3 - q}; rest /= u.ks${3 - q};`).join('\n')}
  return off;
}
fn redOffset(r: u32) -> u32 {
  var rest = r;
  var off = 0u;
${runs.map((q) => `  off += (rest % u.rs${3 - q}) * u.rt${3 - q}; rest /= u.rs${3 - q};`).join('\n')}
  return off;
}
`;
  const uniforms: Program['uniforms'] = [
    ['nOut', 'u32'], ['nRed', 'u32'],
    ...runs.flatMap((q) => [[`ks${q}`, 'u32'], [`kt${q}`, 'u32'], [`rs${q}`, 'u32'], [`rt${q}`, 'u32']] as const),
  ];
  const body = wide
    ? /* wgsl */ `${offsets}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  let o = wid.x + wid.y * nwg.x;
  let base = keptOffset(o);
  var acc = ${init};
  for (var r = l; r < u.nRed; r += ${WG}u) {
    let v = x[base + redOffset(r)];
    acc = ${combine('acc', term)};
  }
  part[l] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (l < s) { part[l] = ${combine('part[l]', 'part[l + s]')}; }
    workgroupBarrier();
  }
  if (l == 0u && o < u.nOut) {
    acc = part[0];
    out[o] = ${finish};
  }
}
`
    : /* wgsl */ `${offsets}${LINEAR_INDEX}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = linearIndex(gid, nwg);
  if (o >= u.nOut) { return; }
  let base = keptOffset(o);
  var acc = ${init};
  for (var r = 0u; r < u.nRed; r++) {
    let v = x[base + redOffset(r)];
    acc = ${combine('acc', term)};
  }
  out[o] = ${finish};
}
`;
  return { name: `reduce.${op}`, key: `reduce|${op}|${wide ? 'wide' : 'narrow'}`, uniforms, storage: [read('x'), write('out')], body: () => body };
}

/**
 * Reduces `x` over `axes` (negative counts from the end); a fresh tensor without those axes
 * (or with them as size 1 when `keepDims`). `wide` forces the workgroup-per-output variant.
 */
export function reduce(be: WebGpuBackend, x: Tensor, o: ReduceOptions & { wide?: boolean }): Tensor {
  const rank = x.shape.length;
  const op = o.op ?? 'sum';
  const axes = o.axes.map((a) => (a < 0 ? a + rank : a));
  for (const a of axes) if (!(a >= 0 && a < rank)) throw new HubelError('shape', `reduce.${op}: axis ${a} out of range for shape ${fmtShape(x.shape)}`);
  const isRed = x.shape.map((_, i) => axes.includes(i));
  const shape = o.outShape ?? (o.keepDims ? x.shape.map((d, i) => (isRed[i] ? 1 : d)) : x.shape.filter((_, i) => !isRed[i]));
  const { kept, red } = splitAxes(x.shape, isRed);
  if (kept.sizes.length > RUNS || red.sizes.length > RUNS) {
    throw new HubelError('shape', `reduce.${op}: axes [${axes.join(', ')}] of ${fmtShape(x.shape)} alternate more than ${RUNS} times`);
  }
  const nOut = kept.sizes.reduce((p, d) => p * d, 1);
  const nRed = red.sizes.reduce((p, d) => p * d, 1);
  if (shape.reduce((p, d) => p * d, 1) !== nOut) throw new HubelError('shape', `reduce.${op}: outShape ${fmtShape(shape)} does not hold the ${nOut} results`);
  // Runs are padded at the outer end with size 1; the innermost run is index 3.
  const pad = (r: Runs) => ({ sizes: [...Array(RUNS - r.sizes.length).fill(1), ...r.sizes], strides: [...Array(RUNS - r.strides.length).fill(0), ...r.strides] });
  const k = pad(kept);
  const rr = pad(red);
  const wide = o.wide ?? nRed > 64;
  const out = be.alloc(shape);
  const uniforms = [nOut, nRed, ...[0, 1, 2, 3].flatMap((q) => [k.sizes[q], k.strides[q], rr.sizes[q], rr.strides[q]])];
  be.run(reduceProgram(op, wide), [x, out], uniforms, wide ? grid(nOut, 1) : grid(nOut));
  return out;
}
