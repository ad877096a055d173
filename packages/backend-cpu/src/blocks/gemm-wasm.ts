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
  instantiate(module: WasmModule, imports: object): Promise<{ readonly exports: Record<string, unknown> }>;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
}
/** A compiled WebAssembly module (opaque; structured-cloneable to worker threads). */
export type WasmModule = object;
/** A WebAssembly memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The exports of an instance of the kernels module (byte addresses, strides in elements). */
export interface WasmKernelExports {
  gemm_block(pa: number, pb: number, c: number, mc: number, nc: number, kc: number, ldc: number): void;
  pack_a(src: number, lda: number, trans: number, rows: number, kc: number, alpha: number, dst: number): void;
  pack_b(src: number, ldb: number, trans: number, kc: number, nc: number, dst: number): void;
  add_block(src: number, lds: number, dst: number, ldd: number, rows: number, cols: number): void;
  gemv_t(a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, alpha: number): void;
  max_pool2(x: number, planes: number, H: number, W: number, outH: number, outW: number, y: number, argmax: number): void;
  im2col(x: number, cols: number, ld: number, C: number, inH: number, inW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number, padTop: number, padLeft: number, outH: number, outW: number): void;
  col2im(cols: number, ld: number, x: number, C: number, inH: number, inW: number, kH: number, kW: number, sH: number, sW: number, dH: number, dW: number, padTop: number, padLeft: number, outH: number, outW: number): void;
  sgd_update(w: number, g: number, v: number, n: number, lr: number, momentum: number, keep: number, nesterov: number, decay: number): void;
  adam_update(w: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, keep1: number, beta2: number, keep2: number, c1: number, c2: number, eps: number, decay: number, decoupled: number): void;
  first_nonfinite(x: number, n: number): number;
  bias_add(c: number, rows: number, cols: number, bias: number, byRow: number): void;
  swap_rows(x: number, out: number, A: number, B: number, C: number): void;
  relu(x: number, y: number, n: number): void;
  relu_grad(x: number, dy: number, dx: number, n: number): void;
  ch_sum(x: number, n: number, c: number, s: number, p: number): void;
  ch_sq_dev(x: number, n: number, c: number, s: number, p: number): void;
  ch_affine(x: number, y: number, n: number, c: number, s: number, p: number): void;
  ch_grad_sums(x: number, dy: number, n: number, c: number, s: number, p: number): void;
  ch_affine_grad(x: number, dy: number, dx: number, n: number, c: number, s: number, p: number): void;
  wino_filt3(src: number, cstride: number, rev: number, cIn: number, dst: number, stride: number): void;
  wino_filt5(src: number, cstride: number, rev: number, cIn: number, dst: number, stride: number): void;
}

/**
 * A thread's instance of the kernels: its exports, a float view of the whole memory (renewed
 * when the memory grows), and the thread's scratch block in that memory (byte address and size).
 * `grow` (the allocating thread only) replaces the scratch block with a larger one; a worker
 * thread's block is sized by the thread that posts the job.
 */
export interface WasmGemmState {
  readonly memory: WasmMemory;
  readonly k: WasmKernelExports;
  f32: Float32Array;
  base: number;
  size: number;
  readonly grow?: (bytes: number) => void;
  /** wasmReserve on this state (for callers in other modules whose source is sent to workers). */
  readonly reserve: (bytes: number, what: () => string) => void;
}

/** Instantiates the kernels module and a GEMM variant's module on `memory` for this thread (synchronously: worker threads). */
export function wasmGemmInstantiate(kernels: WasmModule, gemm: WasmModule, memory: WasmMemory, grow?: (bytes: number) => void): WasmGemmState {
  const { Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const imports = { env: { memory } };
  return wasmGemmState({ ...new Instance(kernels, imports).exports, ...new Instance(gemm, imports).exports }, memory, grow);
}

/** The state of an instance (its exports) on `memory`. */
export function wasmGemmState(exports: Record<string, unknown>, memory: WasmMemory, grow?: (bytes: number) => void): WasmGemmState {
  const ws: WasmGemmState = {
    memory, k: exports as unknown as WasmKernelExports, f32: new Float32Array(memory.buffer), base: 0, size: 0, grow,
    reserve: (bytes, what) => wasmReserve(ws, bytes, what),
  };
  return ws;
}

/**
 * Makes the thread's scratch at least `bytes` long, and its float view current. A scratch that
 * cannot grow throws a RangeError naming what asked for it (`what()`).
 */
export function wasmReserve(ws: WasmGemmState, bytes: number, what: () => string): void {
  if (bytes > ws.size) {
    if (!ws.grow) throw new RangeError(`wasm kernels: this thread's scratch holds ${ws.size} bytes, ${what()} needs ${bytes}`);
    try {
      ws.grow(bytes);
    } catch (e) {
      throw new RangeError(`wasm kernels: no room in WebAssembly memory for ${bytes} bytes of scratch for ${what()}: ${(e as Error).message}`);
    }
  }
  if (ws.f32.buffer !== ws.memory.buffer) ws.f32 = new Float32Array(ws.memory.buffer);
}

/**
 * Float offsets, from the scratch start, of the three regions of scratch for an m×·×k product: A
 * (whole op(A) when it fits 2²² floats, else one MC×KC block), B (KC×NC), C (RB×NC); and
 * `whole`, whether A is packed whole. The same for every strip of one product, so a packed A
 * survives between strips.
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
export function wasmPackA(a: F, aOff: number, lda: number, transA: boolean, i0: number, mc: number, p0: number, kc: number, alphaIn: number, f32: Float32Array, off: number): void {
  // α as the wasm kernels see it (an f32 parameter): the same packed values on every path.
  const alpha = Math.fround(alphaIn);
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

/**
 * Packs α·op(A)[i0:i0+mc, p0:p0+kc] at float `off` of ws.f32: by the module's pack_a when A is
 * in the wasm memory (`resident`), else by wasmPackA.
 */
export function wasmPackABlock(ws: WasmGemmState, resident: boolean, a: F, aOff: number, lda: number, transA: boolean, i0: number, mc: number, p0: number, kc: number, alpha: number, off: number): void {
  if (resident) ws.k.pack_a(a.byteOffset + 4 * (aOff + (transA ? p0 * lda + i0 : i0 * lda + p0)), lda, transA ? 1 : 0, mc, kc, alpha, 4 * off);
  else wasmPackA(a, aOff, lda, transA, i0, mc, p0, kc, alpha, ws.f32, off);
}

/** Packs all of α·op(A) (m×k) at float `off` as wasmGemmBlocked's whole-A layout reads it: slice p0's block at off + p0·mPad. */
export function wasmPackAll(ws: WasmGemmState, resident: boolean, m: number, k: number, a: F, aOff: number, lda: number, transA: boolean, alpha: number, off: number): void {
  const mPad = Math.ceil(m / 4) * 4;
  for (let p0 = 0; p0 < k; p0 += 256) wasmPackABlock(ws, resident, a, aOff, lda, transA, 0, m, p0, Math.min(256, k - p0), alpha, off + p0 * mPad);
}

/**
 * C += α·op(A)·op(B) on this thread's wasm instance (C must already be scaled by β). `resident`
 * has bit 1 set when A is in the wasm memory, 2 for B, 4 for C: those are packed (or added to)
 * by the module at their addresses; the others by the JavaScript above. With `aPacked`, the
 * scratch already holds all of α·op(A) (wasmPackAll) and A is not read. With `zeroed` (β = 0:
 * C was just cleared) and C in the wasm memory, whole 4×8 tiles are summed straight into C and
 * only the ragged right and bottom edges go through the scratch block: the same sums either way
 * (0 + x = x), with a third of the memory traffic on C when k is small.
 */
export function wasmGemmBlocked(
  ws: WasmGemmState, resident: number,
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
  aPacked: boolean, zeroed = false,
): void {
  if (m <= 3 && !transA && transB && resident === 7) {
    // One to three rows times Bᵀ (a dense layer on one image): B read in place, no packing,
    // each element summed as the packed path sums it.
    ws.k.gemv_t(a.byteOffset + 4 * aOff, lda, b.byteOffset + 4 * bOff, ldb, c.byteOffset + 4 * cOff, ldc, m, n, k, alpha);
    return;
  }
  const lay = wasmGemmLayout(m, k);
  wasmReserve(ws, lay.end * 4, () => `a ${m}×${n}×${k} product`);
  // >>> 2, not >> 2: addresses reach 4 GiB, and a signed shift makes those past 2 GiB negative.
  const base = ws.base >>> 2;
  const ra = (resident & 1) !== 0, rb = (resident & 2) !== 0, rc = (resident & 4) !== 0;
  const direct = zeroed && rc;
  const mPad = Math.ceil(m / 4) * 4;
  const cAt = (i: number, j: number) => c.byteOffset + 4 * (cOff + i * ldc + j);
  if (lay.whole && !aPacked) wasmPackAll(ws, ra, m, k, a, aOff, lda, transA, alpha, base);
  for (let j0 = 0; j0 < n; j0 += 1024) {
    const nc = Math.min(1024, n - j0);
    const ncPad = Math.ceil(nc / 8) * 8;
    const ncFull = direct ? nc - (nc % 8) : 0; // columns of whole tiles summed into C
    for (let r0 = 0; r0 < m; r0 += 960) {
      const rows = Math.min(960, m - r0);
      const rowsFull = direct ? rows - (rows % 4) : 0;
      const f32 = ws.f32;
      const cw = base + lay.c;
      const rowsPad = Math.ceil(rows / 4) * 4;
      if (!direct) f32.fill(0, cw, cw + rowsPad * ncPad);
      else {
        // Only the edges live in the scratch block: its last 8 columns, and its last 4 rows.
        if (ncFull < nc) for (let i = 0; i < rowsPad; i++) f32.fill(0, cw + i * ncPad + ncFull, cw + i * ncPad + ncPad);
        if (rowsFull < rows) f32.fill(0, cw + rowsFull * ncPad, cw + rowsPad * ncPad);
      }
      for (let p0 = 0; p0 < k; p0 += 256) {
        const kc = Math.min(256, k - p0);
        const pb = 4 * (base + lay.b);
        if (rb) ws.k.pack_b(b.byteOffset + 4 * (bOff + (transB ? j0 * ldb + p0 : p0 * ldb + j0)), ldb, transB ? 1 : 0, kc, nc, pb);
        else wasmPackB(b, bOff, ldb, transB, p0, kc, j0, nc, f32, base + lay.b);
        for (let i0 = r0; i0 < r0 + rows; i0 += 120) {
          const mc = Math.min(120, r0 + rows - i0);
          let aAt = base + p0 * mPad + i0 * kc;
          if (!lay.whole) {
            wasmPackABlock(ws, ra, a, aOff, lda, transA, i0, mc, p0, kc, alpha, base);
            aAt = base;
          }
          const mcPad = Math.ceil(mc / 4) * 4;
          if (!direct) {
            ws.k.gemm_block(4 * aAt, pb, 4 * (cw + (i0 - r0) * ncPad), mcPad, ncPad, kc, ncPad);
            continue;
          }
          const mcFull = mc - (mc % 4);
          if (mcFull > 0 && ncFull > 0) ws.k.gemm_block(4 * aAt, pb, cAt(i0, j0), mcFull, ncFull, kc, ldc);
          if (ncFull < nc) ws.k.gemm_block(4 * aAt, pb + 4 * ncFull * kc, 4 * (cw + (i0 - r0) * ncPad + ncFull), mcPad, 8, kc, ncPad);
          if (mcFull < mc && ncFull > 0) ws.k.gemm_block(4 * (aAt + mcFull * kc), pb, 4 * (cw + (i0 - r0 + mcFull) * ncPad), 4, ncFull, kc, ncPad);
        }
      }
      // Add the scratch block (or its edges) into C.
      if (direct) {
        if (ncFull < nc) ws.k.add_block(4 * (cw + ncFull), ncPad, cAt(r0, j0 + ncFull), ldc, rows, nc - ncFull);
        if (rowsFull < rows && ncFull > 0) ws.k.add_block(4 * (cw + rowsFull * ncPad), ncPad, cAt(r0 + rowsFull, j0), ldc, rows - rowsFull, ncFull);
      } else if (rc) ws.k.add_block(4 * cw, ncPad, cAt(r0, j0), ldc, rows, nc);
      else {
        for (let i = 0; i < rows; i++) {
          const src = cw + i * ncPad, dst = cOff + (r0 + i) * ldc + j0;
          for (let j = 0; j < nc; j++) c[dst + j] += f32[src + j];
        }
      }
    }
  }
}

/**
 * The wasm twin of gemmTakeStrips (gemm-kernel.ts): takes strips of C off the shared queue and
 * computes each with wasmGemmBlocked. Column strips share one whole packing of α·op(A) per thread.
 */
export function wasmGemmTakeStrips(
  ws: WasmGemmState, resident: number,
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
      wasmGemmBlocked(ws, resident, m, e - s, k, a, aOff, lda, transA, b, bOff + (transB ? s * ldb : s), ldb, transB, c, cOff + s, ldc, alpha, packed, zero);
      packed = wasmGemmLayout(m, k).whole;
    } else {
      wasmGemmBlocked(ws, resident, e - s, n, k, a, aOff + (transA ? s : s * lda), lda, transA, b, bOff, ldb, transB, c, cOff + s * ldc, ldc, alpha, false, zero);
    }
    owner[i] = who;
  }
}

/**
 * The worker side of the wasm kernels: instantiates each variant's module on first use (on the
 * worker's thread, importing the shared memory) and returns its state, set to the scratch block
 * the posting thread sized for this worker (`scratch` = [address, bytes]).
 */
export function wasmWorkerStates(wasm: { modules: { kernels?: WasmModule; simd?: WasmModule; relaxed?: WasmModule }; memory?: WasmMemory } | undefined): (variant: number, scratch: ArrayLike<number>) => WasmGemmState {
  const states: { simd?: WasmGemmState; relaxed?: WasmGemmState } = {};
  return (variant, scratch) => {
    const key = variant === 2 ? 'relaxed' : 'simd';
    const gemm = wasm?.modules[key], kernels = wasm?.modules.kernels;
    if (!gemm || !kernels || !wasm?.memory) throw new Error(`worker thread: no ${key} WebAssembly modules or shared memory`);
    const ws = (states[key] ??= wasmGemmInstantiate(kernels, gemm, wasm.memory));
    ws.base = scratch[0];
    ws.size = scratch[1];
    return ws;
  };
}
