// Elementwise maps: out[i] = f(a[ia(i)], b[ib(i)], …) with a WGSL function body f over up to
// six inputs and four f32 scalars (s0…s3). Each input is read at ((i / div) % mod)·stride +
// i % rem, so one program covers same-shape inputs (div 1, mod n), per-channel vectors in NCHW
// (div H·W, mod C), row vectors (div 1, mod cols), scalars (mod 1) and a tensor reduced over
// one middle axis (div L·inner, stride inner, rem inner: softmax's max). These are uniforms.
import { HubelError, Tensor, fmtShape, type Shape } from '@hubel/core';
import type { WebGpuBackend } from '../backend.js';
import { LINEAR_INDEX, grid, read, write, type Program } from '../program.js';

/** How an input is indexed for output element i: element ((i / div) % mod)·stride + i % rem. */
export interface Broadcast {
  /** Divisor of the output index before the modulo (e.g. H·W for a per-channel vector in NCHW). */
  readonly div: number;
  /** Number of distinct input positions cycled through (1 for a scalar). */
  readonly mod: number;
  /** Default 1. */
  readonly stride?: number;
  /** Default 1 (i % 1 = 0). */
  readonly rem?: number;
}

/** An input of a map with explicit broadcasting. */
export interface MapInput {
  /** The input tensor. */
  readonly t: Tensor;
  /** How it is indexed; default elementwise (same shape as the output). */
  readonly broadcast?: Broadcast;
}

/** Options of the elementwise `map` block: out[i] = f(inputs at i, scalars), a fresh tensor. */
export interface MapOptions {
  /** Kernel name for labels and errors. */
  readonly name: string;
  /**
   * WGSL for f: an expression in a, b, c, d, e, g (the inputs, f32 or i32 as their tensors)
   * and s0…s3 (the scalars), or a body of statements containing `return`.
   */
  readonly expr: string;
  /** Up to six inputs, named a, b, c, d, e, g in `expr`. */
  readonly inputs: readonly (Tensor | MapInput)[];
  /** Up to four f32 scalars, `s0`…`s3` in `expr`. */
  readonly scalars?: readonly number[];
  /** Output shape; default the first input's. */
  readonly shape?: Shape;
  /** 'int32': f returns i32 and the output is an int32 tensor (comparisons). Default float. */
  readonly outDType?: 'float' | 'int32';
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'g'];

/** Per-channel broadcast of a [C] vector over NCHW (or [N, C, …]) tensors of `shape`. */
export function channelBroadcast(shape: Shape): Broadcast {
  const inner = shape.slice(2).reduce((p, d) => p * d, 1);
  return { div: inner, mod: shape[1] };
}

/** Broadcast of x reduced over `axis` with keepDims (shape [outer, 1, inner]) back over x's `shape`. */
export function reducedAxisBroadcast(shape: Shape, axis: number): Broadcast {
  const k = axis < 0 ? axis + shape.length : axis;
  const inner = shape.slice(k + 1).reduce((p, d) => p * d, 1);
  const outer = shape.slice(0, k).reduce((p, d) => p * d, 1);
  return { div: shape[k] * inner, mod: outer, stride: inner, rem: inner };
}

/**
 * The index pattern reading an input of `inShape` numpy-broadcast over an output of `outShape`
 * (shapes right-aligned; each input axis equal to the output's or 1), or undefined when none
 * fits. After merging adjacent axes of the same kind, the input must look like
 * [broadcast] [kept K1] [broadcast] [kept K2] with K2 innermost: K1 becomes (div, mod,
 * stride) and K2 the contiguous remainder `rem`. Anything with more kept runs needs `expand`.
 */
export function numpyBroadcast(outShape: Shape, inShape: Shape): Broadcast | undefined {
  const r = outShape.length;
  if (inShape.length > r) return undefined;
  // Runs of output axes (size-1 axes dropped), each kept (input reads along it) or broadcast.
  const runs: { kept: boolean; size: number }[] = [];
  for (let j = 0; j < r; j++) {
    const k = j - (r - inShape.length);
    const d = k >= 0 ? inShape[k] : 1;
    if (d !== outShape[j] && d !== 1) return undefined;
    if (outShape[j] === 1) continue;
    const kept = d !== 1;
    const last = runs[runs.length - 1];
    if (last && last.kept === kept) last.size *= outShape[j];
    else runs.push({ kept, size: outShape[j] });
  }
  const kept = runs.filter((q) => q.kept);
  if (kept.length === 0) return { div: 1, mod: 1 };
  const innerOf = (q: (typeof runs)[number]) => runs.slice(runs.indexOf(q) + 1).reduce((p, x) => p * x.size, 1);
  if (kept.length === 1) return { div: innerOf(kept[0]), mod: kept[0].size };
  const [k1, k2] = kept;
  if (kept.length > 2 || innerOf(k2) !== 1) return undefined;
  return { div: innerOf(k1), mod: k1.size, stride: k2.size, rem: k2.size };
}

/** Fresh tensor out = f(inputs) elementwise; see `MapOptions`. */
export function map(be: WebGpuBackend, o: MapOptions): Tensor {
  if (o.inputs.length === 0 || o.inputs.length > NAMES.length) throw new HubelError('backend', `map '${o.name}': 1 to ${NAMES.length} inputs, found ${o.inputs.length}`);
  const inputs: MapInput[] = o.inputs.map((x) => (x instanceof Tensor ? { t: x } : x));
  const shape = o.shape ?? inputs[0].t.shape;
  const n = shape.reduce((p, d) => p * d, 1);
  const bc = inputs.map(({ t, broadcast }) => {
    const b = broadcast ?? { div: 1, mod: t.size };
    if (!broadcast && t.size !== n) throw new HubelError('shape', `map '${o.name}': input ${fmtShape(t.shape)} does not match output ${fmtShape(shape)} and has no broadcast`);
    if ((b.mod - 1) * (b.stride ?? 1) + (b.rem ?? 1) > t.size || b.mod < 1 || b.div < 1) throw new HubelError('shape', `map '${o.name}': broadcast (div ${b.div}, mod ${b.mod}) reads outside input ${fmtShape(t.shape)}`);
    return b;
  });
  const types = inputs.map(({ t }) => (t.dtype === 'int32' ? 'i32' : 'f32'));
  const body = o.expr.includes('return') ? o.expr : `return ${o.expr};`;
  const names = NAMES.slice(0, inputs.length);
  const outType = o.outDType === 'int32' ? 'i32' : 'f32';
  const program: Program = {
    name: o.name,
    key: `map|${types.join(',')}->${outType}|${body}`,
    uniforms: [
      ['n', 'u32'],
      ...names.flatMap((x) => [[`${x}Div`, 'u32'], [`${x}Mod`, 'u32'], [`${x}Stride`, 'u32'], [`${x}Rem`, 'u32']] as const),
      ['s0', 'f32'], ['s1', 'f32'], ['s2', 'f32'], ['s3', 'f32'],
    ],
    storage: [...names.map((x, i) => read(`${x}In`, types[i])), write('out', outType)],
    body: () => `${LINEAR_INDEX}
fn f(${names.map((x, i) => `${x}: ${types[i]}`).join(', ')}, s0: f32, s1: f32, s2: f32, s3: f32) -> ${outType} {
  ${body}
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.n) { return; }
  out[i] = f(${names.map((x) => `${x}In[((i / u.${x}Div) % u.${x}Mod) * u.${x}Stride + i % u.${x}Rem]`).join(', ')}, u.s0, u.s1, u.s2, u.s3);
}
`,
  };
  const s = o.scalars ?? [];
  const out = be.alloc(shape, o.outDType === 'int32' ? 'int32' : undefined);
  be.run(program, [...inputs.map((x) => x.t), out], [n, ...bc.flatMap((b) => [b.div, b.mod, b.stride ?? 1, b.rem ?? 1]), s[0] ?? 0, s[1] ?? 0, s[2] ?? 0, s[3] ?? 0], grid(n));
  return out;
}
