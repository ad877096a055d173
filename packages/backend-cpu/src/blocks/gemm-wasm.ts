/**
 * The float32 GEMM on WebAssembly SIMD. JavaScript packs the operands (transposes absorbed, α
 * applied) from wherever they live into the thread's own wasm memory; the module's gemm_block
 * sweeps 4×8 register tiles of f32x4 accumulators over the packed panels into a padded C block
 * in wasm memory, which is then added into C. Loop nest as in gemm-kernel.ts (BLIS order):
 * NC panel of op(B) → RB rows of C → KC slice → MC block of op(A) → 4×8 tiles.
 *
 * Worker threads run these same functions (gemm-threads.ts sends their source text), so they
 * reference nothing but their arguments, globals and each other: no imports, no module constants.
 * The numbers the functions repeat: MR 4, NR 8, KC 256, MC 120, NC 1024, RB 960 (8 MC blocks),
 * and the largest op(A) packed whole, 2²² floats (16 MiB).
 *
 * Each element of C is summed in the same order (p within a KC slice, then slice by slice)
 * wherever its tile falls: the result does not depend on the thread count or strip boundaries.
 */
import type { F } from './gemm.js';

/**
 * The part of the WebAssembly API the kernels use, typed here so that the package's
 * declarations need neither the DOM library nor @types/node.
 */
export interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  compile(bytes: Uint8Array<ArrayBuffer>): Promise<WasmModule>;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
}
/** A compiled WebAssembly module (opaque; structured-cloneable to worker threads). */
export type WasmModule = object;
/** A WebAssembly memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A thread's instance of the kernels: its exports and a float view of its memory (renewed on growth). */
export interface WasmGemmState {
  readonly memory: WasmMemory;
  readonly gemmBlock: (pa: number, pb: number, c: number, mc: number, nc: number, kc: number, ldc: number) => void;
  f32: Float32Array;
}

/** Instantiates a compiled kernels module for this thread. */
export function wasmGemmInstantiate(module: WasmModule): WasmGemmState {
  const inst = new (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly.Instance(module, {});
  const memory = inst.exports.memory as WasmMemory;
  return { memory, gemmBlock: inst.exports.gemm_block as WasmGemmState['gemmBlock'], f32: new Float32Array(memory.buffer) };
}

/**
 * Makes the thread's wasm memory at least `bytes` long. Growth that the engine refuses throws a
 * RangeError naming the product (m×n×k) that asked for it, instead of a bare engine message.
 */
export function wasmGemmReserve(ws: WasmGemmState, bytes: number, m: number, n: number, k: number): void {
  const have = ws.memory.buffer.byteLength;
  if (bytes <= have) return;
  const pages = Math.ceil((bytes - have) / 65536);
  try {
    ws.memory.grow(pages);
  } catch (e) {
    throw new RangeError(
      `wasm GEMM: cannot grow WebAssembly memory from ${have} to ${have + pages * 65536} bytes for a ${m}×${n}×${k} product (packed operands and C block): ${(e as Error).message}`,
    );
  }
  ws.f32 = new Float32Array(ws.memory.buffer);
}

/**
 * Float offsets of the three regions of wasm memory for an m×·×k product: A (whole op(A) when
 * it fits 2²² floats, else one MC×KC block), B (KC×NC), C (RB×NC); and `whole`, whether A is
 * packed whole. The same for every strip of one product, so a packed A survives between strips.
 */
export function wasmGemmLayout(m: number, k: number): { readonly whole: boolean; readonly b: number; readonly c: number; readonly end: number } {
  const mPad = Math.ceil(m / 4) * 4;
  const whole = mPad * k <= 4194304;
  const aLen = whole ? mPad * k : 120 * 256;
  const b = Math.ceil(aLen / 4) * 4;
  const c = b + 256 * 1024;
  return { whole, b, c, end: c + 960 * 1024 };
}

/**
 * Packs α·op(A)[i0:i0+mc, p0:p0+kc] into f32 at `off` as 4-row panels f32[off + ir·kc + p·4 + r],
 * zero past mc (mc rounded up to 4 rows).
 */
export function wasmPackA(a: F, aOff: number, lda: number, transA: boolean, i0: number, mc: number, p0: number, kc: number, alpha: number, f32: Float32Array, off: number): void {
  for (let ir = 0; ir < mc; ir += 4) {
    let d = off + ir * kc;
    if (ir + 4 <= mc) {
      if (!transA) {
        const s0 = aOff + (i0 + ir) * lda + p0, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda;
        for (let p = 0; p < kc; p++, d += 4) {
          f32[d] = alpha * a[s0 + p];
          f32[d + 1] = alpha * a[s1 + p];
          f32[d + 2] = alpha * a[s2 + p];
          f32[d + 3] = alpha * a[s3 + p];
        }
      } else {
        // op(A) = Aᵀ: the panel's four rows are four neighbours in each row of A.
        for (let p = 0, s = aOff + p0 * lda + i0 + ir; p < kc; p++, s += lda, d += 4) {
          f32[d] = alpha * a[s];
          f32[d + 1] = alpha * a[s + 1];
          f32[d + 2] = alpha * a[s + 2];
          f32[d + 3] = alpha * a[s + 3];
        }
      }
      continue;
    }
    for (let p = 0; p < kc; p++, d += 4) {
      for (let r = 0; r < 4; r++) {
        const i = ir + r;
        f32[d + r] = i >= mc ? 0 : alpha * (transA ? a[aOff + (p0 + p) * lda + i0 + i] : a[aOff + (i0 + i) * lda + p0 + p]);
      }
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] into f32 at `off` as 8-column panels f32[off + jr·kc + p·8 + s], zero past nc. */
export function wasmPackB(b: F, bOff: number, ldb: number, transB: boolean, p0: number, kc: number, j0: number, nc: number, f32: Float32Array, off: number): void {
  for (let jr = 0; jr < nc; jr += 8) {
    const w = Math.min(8, nc - jr);
    const base = off + jr * kc;
    if (!transB) {
      let s = bOff + p0 * ldb + j0 + jr;
      if (w === 8) {
        for (let d = base, end = base + 8 * kc; d < end; d += 8, s += ldb) {
          f32[d] = b[s]; f32[d + 1] = b[s + 1]; f32[d + 2] = b[s + 2]; f32[d + 3] = b[s + 3];
          f32[d + 4] = b[s + 4]; f32[d + 5] = b[s + 5]; f32[d + 6] = b[s + 6]; f32[d + 7] = b[s + 7];
        }
      } else {
        for (let p = 0, d = base; p < kc; p++, d += 8, s += ldb) for (let t = 0; t < 8; t++) f32[d + t] = t < w ? b[s + t] : 0;
      }
    } else {
      // op(B) = Bᵀ: column j of op(B) is row j of B, contiguous in p.
      for (let t = 0; t < 8; t++) {
        if (t >= w) {
          for (let p = 0, d = base + t; p < kc; p++, d += 8) f32[d] = 0;
          continue;
        }
        for (let p = 0, s = bOff + (j0 + jr + t) * ldb + p0, d = base + t; p < kc; p++, s++, d += 8) f32[d] = b[s];
      }
    }
  }
}

/** Packs all of α·op(A) (m×k) at float 0 as wasmGemmBlocked's whole-A layout reads it: slice p0's block at p0·mPad. */
export function wasmPackAll(m: number, k: number, a: F, aOff: number, lda: number, transA: boolean, alpha: number, f32: Float32Array): void {
  const mPad = Math.ceil(m / 4) * 4;
  for (let p0 = 0; p0 < k; p0 += 256) wasmPackA(a, aOff, lda, transA, 0, m, p0, Math.min(256, k - p0), alpha, f32, p0 * mPad);
}

/**
 * C += α·op(A)·op(B) on this thread's wasm instance (C must already be scaled by β). With
 * `aPacked`, the thread's memory already holds all of α·op(A) (wasmPackAll) and A is not read.
 */
export function wasmGemmBlocked(
  ws: WasmGemmState,
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
  aPacked: boolean,
): void {
  const lay = wasmGemmLayout(m, k);
  wasmGemmReserve(ws, lay.end * 4, m, n, k);
  const mPad = Math.ceil(m / 4) * 4;
  if (lay.whole && !aPacked) wasmPackAll(m, k, a, aOff, lda, transA, alpha, ws.f32);
  for (let j0 = 0; j0 < n; j0 += 1024) {
    const nc = Math.min(1024, n - j0);
    const ncPad = Math.ceil(nc / 8) * 8;
    for (let r0 = 0; r0 < m; r0 += 960) {
      const rb = Math.min(960, m - r0);
      const f32 = ws.f32;
      f32.fill(0, lay.c, lay.c + Math.ceil(rb / 4) * 4 * ncPad);
      for (let p0 = 0; p0 < k; p0 += 256) {
        const kc = Math.min(256, k - p0);
        wasmPackB(b, bOff, ldb, transB, p0, kc, j0, nc, f32, lay.b);
        for (let i0 = r0; i0 < r0 + rb; i0 += 120) {
          const mc = Math.min(120, r0 + rb - i0);
          let aAt = p0 * mPad + i0 * kc;
          if (!lay.whole) {
            wasmPackA(a, aOff, lda, transA, i0, mc, p0, kc, alpha, f32, 0);
            aAt = 0;
          }
          ws.gemmBlock(aAt * 4, lay.b * 4, (lay.c + (i0 - r0) * ncPad) * 4, Math.ceil(mc / 4) * 4, ncPad, kc, ncPad);
        }
      }
      // Add the block into C.
      for (let i = 0; i < rb; i++) {
        const src = lay.c + i * ncPad, dst = cOff + (r0 + i) * ldc + j0;
        for (let j = 0; j < nc; j++) c[dst + j] += f32[src + j];
      }
    }
  }
}

/**
 * The wasm twin of gemmTakeStrips (gemm-kernel.ts): takes strips of C off the shared queue and
 * computes each with wasmGemmBlocked. Column strips share one whole packing of α·op(A) per thread.
 */
export function wasmGemmTakeStrips(
  ws: WasmGemmState,
  ctl: Int32Array, queue: number, owner: Int32Array, who: number, strips: number, step: number, byCols: boolean, zero: boolean,
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
): void {
  const len = byCols ? n : m;
  let packed = false;
  for (let i = Atomics.add(ctl, queue, 1); i < strips; i = Atomics.add(ctl, queue, 1)) {
    const s = i * step, e = Math.min(len, s + step);
    if (zero) {
      if (byCols) for (let r = 0; r < m; r++) c.fill(0, cOff + r * ldc + s, cOff + r * ldc + e);
      else for (let r = s; r < e; r++) c.fill(0, cOff + r * ldc, cOff + r * ldc + n);
    }
    if (byCols) {
      wasmGemmBlocked(ws, m, e - s, k, a, aOff, lda, transA, b, bOff + (transB ? s * ldb : s), ldb, transB, c, cOff + s, ldc, alpha, packed);
      packed = wasmGemmLayout(m, k).whole;
    } else {
      wasmGemmBlocked(ws, e - s, n, k, a, aOff + (transA ? s : s * lda), lda, transA, b, bOff, ldb, transB, c, cOff + s * ldc, ldc, alpha, false);
    }
    owner[i] = who;
  }
}

/**
 * The worker side of the wasm path: a runner that instantiates each variant's module on first
 * use (on the worker's thread, with its own memory) and takes strips with it.
 */
export function wasmGemmWorkerRunner(modules: { simd?: WasmModule; relaxed?: WasmModule }): (
  variant: number, ctl: Int32Array, queue: number, owner: Int32Array, who: number, strips: number, step: number, byCols: boolean, zero: boolean,
  m: number, n: number, k: number, a: F, aOff: number, lda: number, transA: boolean, b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
) => void {
  const states: { simd?: WasmGemmState; relaxed?: WasmGemmState } = {};
  return (variant, ...rest) => {
    const key = variant === 2 ? 'relaxed' : 'simd';
    const module = modules[key];
    if (!module) throw new Error(`gemm worker: no ${key} WebAssembly module`);
    wasmGemmTakeStrips((states[key] ??= wasmGemmInstantiate(module)), ...rest);
  };
}
