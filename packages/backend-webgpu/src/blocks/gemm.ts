// Tiled GEMM: C[b] = α·Σ_r op(A)[b, r]·op(B)[b, r] (+ bias), op(X) = X or Xᵀ, row-major.
//
// Each 16×16 workgroup computes a 64×64 tile of C, each invocation a 4×4 block of it held in
// registers. Per step along k, the workgroup stages a 64×16 slice of op(A) and a 16×64 slice
// of op(B) in workgroup memory (2 × 4 KiB, within the 16 KiB guarantee), every invocation
// loading 4 + 4 values; loads past the matrix edge read 0 and stores past it are skipped, so
// any m, n, k work. Transposes only change the load index expression (they are in the key).
//
// Batches: workgroup z indexes an output batch b = (b1, b2) = (b / inner, b % inner) with
// separate offsets per part (a conv's image n and group g), and an inner loop r over a
// "reduction batch" sums products across batches into one C (a conv's dW summed over images).
import { HubelError, fmtShape, type Tensor } from '@hubel/core';
import type { WebGpuBackend } from '../backend.js';
import { read, write, type Program } from '../program.js';

/** Full description of a (batched) GEMM over raw tensors; offsets and strides in elements. */
export interface GemmSpec {
  /** Tensor holding A. */
  readonly a: Tensor;
  /** Tensor holding B. */
  readonly b: Tensor;
  /** op(A) is m×k, op(B) is k×n, C is m×n. */
  readonly m: number;
  /** Columns of op(B) and C. */
  readonly n: number;
  /** Columns of op(A), rows of op(B). */
  readonly k: number;
  /** op(A) = Aᵀ (A stored k×m). */
  readonly transA?: boolean;
  /** op(B) = Bᵀ (B stored n×k). */
  readonly transB?: boolean;
  /** Row strides (default the packed widths: k or m for A, n or k for B, n for C). */
  readonly lda?: number;
  /** Row stride of B as stored. */
  readonly ldb?: number;
  /** Row stride of C. */
  readonly ldc?: number;
  /** Scale of the product; default 1. */
  readonly alpha?: number;
  /** Output batches (default 1) split as b = b1·inner + b2 (default inner = batch). */
  readonly batch?: number;
  /** Size of the inner batch part b2. */
  readonly inner?: number;
  /** Offsets per output batch part: [per b1, per b2] for A, B, C and the bias. */
  readonly strideA?: readonly [number, number];
  /** B's offsets per b1 and per b2. */
  readonly strideB?: readonly [number, number];
  /** C's (and the bias's) offsets per b1 and per b2. */
  readonly strideC?: readonly [number, number];
  /** Products summed into each C: r = 0…reduce−1, advancing A and B by these strides. */
  readonly reduce?: number;
  /** A's offset per reduction step r. */
  readonly reduceStrideA?: number;
  /** B's offset per reduction step r. */
  readonly reduceStrideB?: number;
  /** Bias added to each column j ('col', length n: Linear) or row i ('row', length m per b2: conv). */
  readonly bias?: { readonly t: Tensor; readonly kind: 'row' | 'col'; readonly stride?: number };
  /** Shape of the fresh C tensor (must hold batch·m·n elements at the given strides). */
  readonly outShape: readonly number[];
}

const TILE = 64;

function gemmProgram(transA: boolean, transB: boolean, bias: 'none' | 'row' | 'col'): Program {
  // op(A)[i, p] and op(B)[p, j] as index expressions into the flat arrays.
  const aIdx = transA ? 'aBase + p * u.lda + i' : 'aBase + i * u.lda + p';
  const bIdx = transB ? 'bBase + j * u.ldb + p' : 'bBase + p * u.ldb + j';
  const biasTerm = bias === 'col' ? ' + bias[col]' : bias === 'row' ? ' + bias[biasBase + row]' : '';
  return {
    name: 'gemm',
    key: `gemm|${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}|${bias}`,
    uniforms: [
      ['m', 'u32'], ['n', 'u32'], ['k', 'u32'], ['lda', 'u32'], ['ldb', 'u32'], ['ldc', 'u32'],
      ['inner', 'u32'], ['sa1', 'u32'], ['sa2', 'u32'], ['sb1', 'u32'], ['sb2', 'u32'], ['sc1', 'u32'], ['sc2', 'u32'],
      ['reduce', 'u32'], ['ra', 'u32'], ['rb', 'u32'], ['biasStride', 'u32'], ['alpha', 'f32'],
    ],
    storage: [read('A'), read('B'), write('C'), ...(bias === 'none' ? [] : [read('bias')])],
    body: () => /* wgsl */ `
var<workgroup> As: array<f32, ${16 * TILE}>; // As[p * 64 + i]
var<workgroup> Bs: array<f32, ${16 * TILE}>; // Bs[p * 64 + j]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lidx: u32,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let b1 = wid.z / u.inner;
  let b2 = wid.z % u.inner;
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  var acc: array<f32, 16>;
  for (var r = 0u; r < u.reduce; r++) {
    let aBase = b1 * u.sa1 + b2 * u.sa2 + r * u.ra;
    let bBase = b1 * u.sb1 + b2 * u.sb2 + r * u.rb;
    for (var k0 = 0u; k0 < u.k; k0 += 16u) {
      for (var l = 0u; l < 4u; l++) {
        let e = lidx + l * 256u;
        // A slice: 64 rows × 16 k; B slice: 16 k × 64 columns.
        let ai = e / 16u;
        let ap = e % 16u;
        let i = row0 + ai;
        var p = k0 + ap;
        var av = 0.0;
        if (i < u.m && p < u.k) { av = A[${aIdx}]; }
        As[ap * 64u + ai] = av;
        let bp = e / 64u;
        let bj = e % 64u;
        let j = col0 + bj;
        p = k0 + bp;
        var bv = 0.0;
        if (j < u.n && p < u.k) { bv = B[${bIdx}]; }
        Bs[bp * 64u + bj] = bv;
      }
      workgroupBarrier();
      for (var p = 0u; p < 16u; p++) {
        let a4 = vec4<f32>(As[p * 64u + lid.y * 4u], As[p * 64u + lid.y * 4u + 1u], As[p * 64u + lid.y * 4u + 2u], As[p * 64u + lid.y * 4u + 3u]);
        let b4 = vec4<f32>(Bs[p * 64u + lid.x * 4u], Bs[p * 64u + lid.x * 4u + 1u], Bs[p * 64u + lid.x * 4u + 2u], Bs[p * 64u + lid.x * 4u + 3u]);
        for (var x = 0u; x < 4u; x++) {
          acc[x * 4u] += a4[x] * b4.x;
          acc[x * 4u + 1u] += a4[x] * b4.y;
          acc[x * 4u + 2u] += a4[x] * b4.z;
          acc[x * 4u + 3u] += a4[x] * b4.w;
        }
      }
      workgroupBarrier();
    }
  }
  let cBase = b1 * u.sc1 + b2 * u.sc2;
  let biasBase = b2 * u.biasStride;
  for (var x = 0u; x < 4u; x++) {
    let row = row0 + lid.y * 4u + x;
    if (row >= u.m) { continue; }
    for (var y = 0u; y < 4u; y++) {
      let col = col0 + lid.x * 4u + y;
      if (col < u.n) { C[cBase + row * u.ldc + col] = u.alpha * acc[x * 4u + y]${biasTerm}; }
    }
  }
}
`,
  };
}

/** Encodes a GEMM described by `s` into a fresh tensor of shape `s.outShape`. */
export function gemmRaw(be: WebGpuBackend, s: GemmSpec): Tensor {
  const { m, n, k } = s;
  const transA = s.transA ?? false;
  const transB = s.transB ?? false;
  const batch = s.batch ?? 1;
  const inner = s.inner ?? batch;
  const bias = s.bias?.kind ?? 'none';
  const out = be.alloc(s.outShape);
  if (batch > 65535) throw new HubelError('backend', `gemm: ${batch} batches, over the 65,535 workgroups a dimension allows`);
  const bindings: Tensor[] = [s.a, s.b, out];
  if (s.bias) bindings.push(s.bias.t);
  be.run(
    gemmProgram(transA, transB, bias),
    bindings,
    [
      m, n, k, s.lda ?? (transA ? m : k), s.ldb ?? (transB ? k : n), s.ldc ?? n,
      inner, s.strideA?.[0] ?? 0, s.strideA?.[1] ?? 0, s.strideB?.[0] ?? 0, s.strideB?.[1] ?? 0, s.strideC?.[0] ?? 0, s.strideC?.[1] ?? m * n,
      s.reduce ?? 1, s.reduceStrideA ?? 0, s.reduceStrideB ?? 0, s.bias?.stride ?? 0, s.alpha ?? 1,
    ],
    [Math.ceil(n / TILE), Math.ceil(m / TILE), batch],
  );
  return out;
}

/** Options of the 2-D `gemm` block (the CPU backend's `GemmOptions`, same names). */
export interface GemmOptions {
  /** Use Aᵀ instead of A. */
  readonly transA?: boolean;
  /** Use Bᵀ instead of B. */
  readonly transB?: boolean;
  /** Scale of the product; default 1. */
  readonly alpha?: number;
  /** Added to every row of the result (length n): Linear's bias. */
  readonly colBias?: Tensor;
  /** Added to every column of the result (length m). */
  readonly rowBias?: Tensor;
}

/** op(A)·op(B) for 2-D tensors plus an optional row or column bias; a fresh [m, n] tensor. */
export function gemm(be: WebGpuBackend, A: Tensor, B: Tensor, o: GemmOptions = {}): Tensor {
  if (A.shape.length !== 2 || B.shape.length !== 2) throw new HubelError('shape', `gemm: expected 2-D operands, found ${fmtShape(A.shape)} and ${fmtShape(B.shape)}`);
  const [m, ka] = o.transA ? [A.shape[1], A.shape[0]] : A.shape;
  const [kb, n] = o.transB ? [B.shape[1], B.shape[0]] : B.shape;
  if (ka !== kb) throw new HubelError('shape', `gemm: inner dimensions differ: op(A) is ${m}×${ka}, op(B) is ${kb}×${n}`);
  if (o.colBias && o.rowBias) throw new HubelError('backend', 'gemm: give a row bias or a column bias, not both');
  const biasT = o.colBias ?? o.rowBias;
  if (biasT && biasT.size !== (o.colBias ? n : m)) {
    throw new HubelError('shape', `gemm: ${o.colBias ? 'column' : 'row'} bias has ${biasT.size} values, ${o.colBias ? n : m} expected`);
  }
  return gemmRaw(be, {
    a: A, b: B, m, n, k: ka, transA: o.transA, transB: o.transB, alpha: o.alpha,
    bias: biasT ? { t: biasT, kind: o.colBias ? 'col' : 'row' } : undefined,
    outShape: [m, n],
  });
}
