/**
 * The blocked GEMM loop nest (BLIS/GotoBLAS order: NC panel of B → KC slice → MC block of A →
 * 3×4 micro-tiles) and its packing and micro-kernel. Worker threads run this same code:
 * gemm-threads.ts sends the functions' source text, so they reference nothing but their
 * arguments, globals and each other (no imports, no module constants).
 */
import type { F } from './gemm.js';

/** Packing buffer sizes gemmBlocked needs: pa MC·KC, pb KC·NC, acc 16 (MC = 126, KC = 256, NC = 1024). */
export const PACK_A_SIZE = 128 * 256;
export const PACK_B_SIZE = 256 * 1024;
/** Largest op(A), in packed doubles (3·⌈m/3⌉·k), that a thread packs whole for its strips (16 MiB). */
export const PACK_ALL_MAX = 1 << 21;

/** Packing buffers for one thread; `all` holds a whole packed op(A) (gemmPackAll) and grows on demand. */
export interface GemmScratch {
  readonly pa: Float64Array;
  readonly pb: Float64Array;
  readonly acc: Float64Array;
  all: Float64Array;
}

/**
 * C += α·op(A)·op(B) with caller-supplied packing buffers (pa: MC·KC, pb: KC·NC, acc: 16).
 * The micro-tile is 3 rows × 4 columns: 12 sums + 3 values of A + 1 of B fill the 16 double
 * registers V8 allocates on x64 (a 4×4 tile spills; measured 5.3 vs 5.8–6.3 GFLOP/s per core).
 * With `packedA`, pa already holds all of α·op(A) as gemmPackAll lays it out, and A is not read:
 * the column strips of one product share a single packing of A per thread.
 */
export function gemmBlocked(
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
  pa: Float64Array, pb: Float64Array, acc: Float64Array, packedA = false,
): void {
  const kcMax = 256, mcMax = 126, ncMax = 1024; // KC, MC, NC: PACK_A_SIZE and PACK_B_SIZE above
  const mPad = Math.ceil(m / 3) * 3;
  for (let j0 = 0; j0 < n; j0 += ncMax) {
    const nc = Math.min(ncMax, n - j0);
    for (let p0 = 0; p0 < k; p0 += kcMax) {
      const kc = Math.min(kcMax, k - p0);
      gemmPackB(b, bOff, ldb, transB, p0, kc, j0, nc, pb);
      for (let i0 = 0; i0 < m; i0 += mcMax) {
        const mc = Math.min(mcMax, m - i0);
        let ai = 0;
        if (packedA) ai = p0 * mPad + i0 * kc;
        else gemmPackA(a, aOff, lda, transA, i0, mc, p0, kc, alpha, pa, 0);
        for (let jr = 0; jr < nc; jr += 4) {
          const nr = Math.min(4, nc - jr);
          for (let ir = 0; ir < mc; ir += 3) {
            const mr = Math.min(3, mc - ir);
            const ci = cOff + (i0 + ir) * ldc + j0 + jr;
            if (mr === 3 && nr === 4) {
              gemmKernel3x4(pa, ai + ir * kc, pb, jr * kc, kc, c, ci, ldc);
            } else {
              gemmKernel3x4(pa, ai + ir * kc, pb, jr * kc, kc, acc, 0, 4);
              gemmStoreTile(acc, c, ci, ldc, mr, nr);
            }
          }
        }
      }
    }
  }
}

/**
 * Packs α·op(A)[i0:i0+mc, p0:p0+kc] as 3-row micro-panels pa[paOff + ir·kc + p·3 + r], zero-filled
 * past mc. Whole panels read their three rows of op(A) together, so pa is written in order.
 */
export function gemmPackA(a: F, aOff: number, lda: number, transA: boolean, i0: number, mc: number, p0: number, kc: number, alpha: number, pa: Float64Array, paOff: number): void {
  for (let ir = 0; ir < mc; ir += 3) {
    const base = paOff + ir * kc;
    if (ir + 3 <= mc) {
      if (!transA) {
        const s0 = aOff + (i0 + ir) * lda + p0, s1 = s0 + lda, s2 = s1 + lda;
        for (let p = 0, d = base; p < kc; p++, d += 3) {
          pa[d] = alpha * a[s0 + p];
          pa[d + 1] = alpha * a[s1 + p];
          pa[d + 2] = alpha * a[s2 + p];
        }
      } else {
        // op(A) = Aᵀ: the panel's three rows are three neighbours in each row of A.
        for (let p = 0, src = aOff + p0 * lda + i0 + ir, d = base; p < kc; p++, src += lda, d += 3) {
          pa[d] = alpha * a[src];
          pa[d + 1] = alpha * a[src + 1];
          pa[d + 2] = alpha * a[src + 2];
        }
      }
      continue;
    }
    for (let r = 0; r < 3; r++) {
      const i = ir + r;
      if (i >= mc) {
        for (let p = 0; p < kc; p++) pa[base + p * 3 + r] = 0;
      } else if (!transA) {
        const src = aOff + (i0 + i) * lda + p0;
        for (let p = 0; p < kc; p++) pa[base + p * 3 + r] = alpha * a[src + p];
      } else {
        const src = aOff + p0 * lda + i0 + i;
        for (let p = 0; p < kc; p++) pa[base + p * 3 + r] = alpha * a[src + p * lda];
      }
    }
  }
}

/**
 * Packs all of α·op(A) (m×k) into pa as gemmBlocked's packedA reads it: the block of KC slice
 * p0 and MC block i0 at p0·mPad + i0·kc (mPad = 3·⌈m/3⌉), each laid out as gemmPackA does.
 */
export function gemmPackAll(m: number, k: number, a: F, aOff: number, lda: number, transA: boolean, alpha: number, pa: Float64Array): void {
  const kcMax = 256, mcMax = 126; // as in gemmBlocked
  const mPad = Math.ceil(m / 3) * 3;
  for (let p0 = 0; p0 < k; p0 += kcMax) {
    const kc = Math.min(kcMax, k - p0);
    for (let i0 = 0; i0 < m; i0 += mcMax) gemmPackA(a, aOff, lda, transA, i0, Math.min(mcMax, m - i0), p0, kc, alpha, pa, p0 * mPad + i0 * kc);
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] as 4-column micro-panels pb[(jr·kc + p)·4 + s], zero-filled past nc. */
export function gemmPackB(b: F, bOff: number, ldb: number, transB: boolean, p0: number, kc: number, j0: number, nc: number, pb: Float64Array): void {
  for (let jr = 0; jr < nc; jr += 4) {
    const base = jr * kc;
    const w = Math.min(4, nc - jr);
    if (!transB) {
      for (let p = 0; p < kc; p++) {
        const src = bOff + (p0 + p) * ldb + j0 + jr;
        const dst = base + p * 4;
        if (w === 4) {
          pb[dst] = b[src];
          pb[dst + 1] = b[src + 1];
          pb[dst + 2] = b[src + 2];
          pb[dst + 3] = b[src + 3];
        } else {
          for (let s = 0; s < 4; s++) pb[dst + s] = s < w ? b[src + s] : 0;
        }
      }
    } else {
      for (let s = 0; s < 4; s++) {
        if (s >= w) {
          for (let p = 0; p < kc; p++) pb[base + p * 4 + s] = 0;
        } else {
          const src = bOff + (j0 + jr + s) * ldb + p0;
          for (let p = 0; p < kc; p++) pb[base + p * 4 + s] = b[src + p];
        }
      }
    }
  }
}

/**
 * c[ci + r·ldc + s] += Σ_p pa[ai + 3p + r] · pb[bi + 4p + s] for r < 3, s < 4: the register-tiled
 * inner loop. The 12 sums live in locals that V8 keeps in registers; each step loads 3 values
 * of A and 4 of B for 12 multiply-adds. Edge tiles go to a zeroed 3×4 scratch (ldc 4) first.
 */
export function gemmKernel3x4(pa: Float64Array, ai: number, pb: Float64Array, bi: number, kc: number, c: F, ci: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  // `| 0` tells V8 the indices are int32 that cannot overflow: without it every `ai + 1` carries
  // an overflow check, and the loop ran 4.84 instead of 4.01 machine instructions per flop
  // (callgrind, 384³ product).
  for (const end = (ai + 3 * kc) | 0; ai < end; ai = (ai + 3) | 0, bi = (bi + 4) | 0) {
    const a0 = pa[ai], a1 = pa[(ai + 1) | 0], a2 = pa[(ai + 2) | 0];
    let bv = pb[bi];
    c00 += a0 * bv; c10 += a1 * bv; c20 += a2 * bv;
    bv = pb[(bi + 1) | 0];
    c01 += a0 * bv; c11 += a1 * bv; c21 += a2 * bv;
    bv = pb[(bi + 2) | 0];
    c02 += a0 * bv; c12 += a1 * bv; c22 += a2 * bv;
    bv = pb[(bi + 3) | 0];
    c03 += a0 * bv; c13 += a1 * bv; c23 += a2 * bv;
  }
  c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03;
  ci += ldc;
  c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13;
  ci += ldc;
  c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23;
}

/** Adds the mr×nr corner of a 3×4 tile (acc[r·4 + s]) into C at ci (row stride ldc), and zeroes acc. */
export function gemmStoreTile(acc: Float64Array, c: F, ci: number, ldc: number, mr: number, nr: number): void {
  for (let r = 0; r < mr; r++, ci += ldc) for (let s = 0; s < nr; s++) c[ci + s] += acc[r * 4 + s];
  acc.fill(0);
}

/**
 * Takes strips of C off the shared queue until none is left: strip i covers columns (byCols)
 * or rows [i·step, min((i+1)·step, len)) and is computed by gemmBlocked on this thread's
 * arrays; owner[i] records who did it. `ctl[queue]` is the next unclaimed strip. With `zero`,
 * each strip of C is cleared first (β = 0 without copying C in). Column strips all use the
 * whole of A: a thread packs it once, at its first strip, when it fits PACK_ALL_MAX (W4, 1024³:
 * 3.5% faster than packing A again for each of its strips).
 */
export function gemmTakeStrips(
  ctl: Int32Array, queue: number, owner: Int32Array, who: number, strips: number, step: number, byCols: boolean, zero: boolean,
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
  scratch: { readonly pa: Float64Array; readonly pb: Float64Array; readonly acc: Float64Array; all: Float64Array },
): void {
  const len = byCols ? n : m;
  const { pa, pb, acc } = scratch;
  const whole = Math.ceil(m / 3) * 3 * k;
  let packed = false;
  for (let i = Atomics.add(ctl, queue, 1); i < strips; i = Atomics.add(ctl, queue, 1)) {
    const s = i * step, e = Math.min(len, s + step);
    if (zero) {
      if (byCols) for (let r = 0; r < m; r++) c.fill(0, cOff + r * ldc + s, cOff + r * ldc + e);
      else for (let r = s; r < e; r++) c.fill(0, cOff + r * ldc, cOff + r * ldc + n);
    }
    if (byCols && !packed && whole <= 2097152) { // PACK_ALL_MAX (no module constants here: see the top)
      if (scratch.all.length < whole) scratch.all = new Float64Array(whole);
      gemmPackAll(m, k, a, aOff, lda, transA, alpha, scratch.all);
      packed = true;
    }
    if (byCols) gemmBlocked(m, e - s, k, a, aOff, lda, transA, b, bOff + (transB ? s * ldb : s), ldb, transB, c, cOff + s, ldc, alpha, packed ? scratch.all : pa, pb, acc, packed);
    else gemmBlocked(e - s, n, k, a, aOff + (transA ? s : s * lda), lda, transA, b, bOff, ldb, transB, c, cOff + s * ldc, ldc, alpha, pa, pb, acc);
    owner[i] = who;
  }
}

/**
 * Work other than GEMM that the threads share, one range of planes [from, to) at a time: task
 * number, its parameters, and up to three arrays (blocks/winograd.ts's winogradTask).
 */
export type PlaneTask = (task: number, params: ArrayLike<number>, a0: F, a1: F, a2: F | undefined, from: number, to: number) => void;

/** Runs wasmGemmTakeStrips (gemm-wasm.ts) for kernel variant 1 (simd) or 2 (relaxed) on the worker's instance. */
export type WasmStripsRunner = (
  variant: number, resident: number, scratch: ArrayLike<number>, ctl: Int32Array, queue: number, owner: Int32Array, who: number, strips: number, step: number, byCols: boolean, zero: boolean,
  m: number, n: number, k: number, a: F, aOff: number, lda: number, transA: boolean, b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
) => void;

/** Runs a plane task with the wasm kernels (winogradTaskWasm) for variant 1 or 2 on the worker's instance. */
export type WasmPlaneRunner = (variant: number, scratch: ArrayLike<number>, task: number, params: ArrayLike<number>, a0: F, a1: F, a2: F | undefined, from: number, to: number) => void;

/** A message to a worker: a shared buffer to know by id, or an id to forget. */
export type GemmBufferMessage = { readonly id: number; readonly sab: SharedArrayBuffer } | { readonly forget: number };

/**
 * The part of node:worker_threads a worker uses (typed here so the declarations need no @types/node).
 * A browser worker gets a stand-in: its start-up message as workerData, and no messages after it.
 */
export interface WorkerThreadsLike {
  readonly workerData: unknown;
  receiveMessageOnPort(port: never): { message: GemmBufferMessage } | undefined;
}

/**
 * A worker thread's loop (gemm-threads.ts): sleep until its state says posted, learn or forget
 * shared buffers from the port, take strips of the posted product off the queue, report done
 * (or failed). `wtm` is node:worker_threads; states: 0 idle, 1 posted, 2 done, 3 failed.
 * Job slots: m n k lda transA ldb transB alpha byCols strips step f64 zero, then the buffer ids
 * of A, B and C, their element offsets, and ldc. Workers write their strips of C in place.
 * Slot 20 = 1 posts a plane task instead (runPlanes; slots 21–43, see gemm-threads.ts). Slot
 * 44 picks the float32 kernels: 0 TypeScript, 1 wasm SIMD, 2 wasm relaxed SIMD (runWasm); slot
 * 45 says which of A, B, C live in the wasm heap (bits 1, 2, 4), and scr[2·index…] is this
 * worker's scratch block there (address, bytes). Slot 46 runs a plane task with the wasm
 * kernels (1 simd, 2 relaxed; runPlanesWasm). Buffer id −2 names the wasm heap's memory
 * (workerData.wasm.memory), whose buffer is read again for every job (the memory may have grown):
 * browser workers see only that memory, and never receive a message after their start.
 */
export function gemmWorkerMain(wtm: WorkerThreadsLike, runPlanes: PlaneTask, runWasm?: WasmStripsRunner, runPlanesWasm?: WasmPlaneRunner): void {
  const { ctl, job, owner, index, queue, port, scr, why, wasm } = wtm.workerData as {
    ctl: Int32Array; job: Float64Array; owner: Int32Array; index: number; queue: number; port: unknown; scr: Float64Array; why: Uint16Array;
    wasm?: { memory?: { readonly buffer: ArrayBufferLike } };
  };
  const scratch = { pa: new Float64Array(128 * 256), pb: new Float64Array(256 * 1024), acc: new Float64Array(16), all: new Float64Array(0) };
  const buffers = new Map<number, SharedArrayBuffer>();
  Atomics.store(ctl, index, 2);
  Atomics.notify(ctl, index);
  for (;;) {
    const state = Atomics.load(ctl, index);
    if (state !== 1) {
      Atomics.wait(ctl, index, state);
      continue;
    }
    try {
      for (let msg = wtm.receiveMessageOnPort(port as never); msg; msg = wtm.receiveMessageOnPort(port as never)) {
        const m = msg.message;
        if ('forget' in m) buffers.delete(m.forget);
        else buffers.set(m.id, m.sab);
      }
      const f64 = job[11] === 1;
      const view = (id: number, byteOffset = 0, length?: number) => {
        const sab = id === -2 ? wasm?.memory?.buffer : buffers.get(id);
        if (!sab) throw new Error(id === -2 ? 'gemm worker: no shared WebAssembly memory' : `gemm worker: unknown buffer ${id}`);
        return f64 ? new Float64Array(sab, byteOffset, length) : new Float32Array(sab, byteOffset, length);
      };
      if (job[20] === 1) {
        // A plane task: arrays at job[25 + 3i] (buffer id, byte offset, length; id −1: none, −2: the heap), params from job[34].
        const arrays = [0, 1, 2].map((i) => (job[25 + 3 * i] === -1 ? undefined : view(job[25 + 3 * i], job[26 + 3 * i], job[27 + 3 * i])));
        const params = job.subarray(34, 44);
        for (let i = Atomics.add(ctl, queue, 1); i < job[22]; i = Atomics.add(ctl, queue, 1)) {
          const from = i * job[23], to = Math.min(job[24], (i + 1) * job[23]);
          if (job[46] > 0) {
            if (!runPlanesWasm) throw new Error('gemm worker: no WebAssembly kernels');
            runPlanesWasm(job[46], scr.subarray(2 * index, 2 * index + 2), job[21], params, arrays[0]!, arrays[1]!, arrays[2], from, to);
          } else runPlanes(job[21], params, arrays[0]!, arrays[1]!, arrays[2], from, to);
        }
        Atomics.store(ctl, index, 2);
        Atomics.notify(ctl, index);
        continue;
      }
      const a = view(job[13]), b = view(job[14]), c = view(job[15]);
      if (job[44] > 0) {
        // The WebAssembly kernels (1 simd, 2 relaxed), on this worker's own instance.
        if (!runWasm) throw new Error('gemm worker: no WebAssembly kernels');
        runWasm(job[44], job[45], scr.subarray(2 * index, 2 * index + 2), ctl, queue, owner, index + 1, job[9], job[10], job[8] === 1, job[12] === 1, job[0], job[1], job[2], a, job[16], job[3], job[4] === 1, b, job[17], job[5], job[6] === 1, c, job[18], job[19], job[7]);
      } else gemmTakeStrips(ctl, queue, owner, index + 1, job[9], job[10], job[8] === 1, job[12] === 1, job[0], job[1], job[2], a, job[16], job[3], job[4] === 1, b, job[17], job[5], job[6] === 1, c, job[18], job[19], job[7], scratch);
      Atomics.store(ctl, index, 2);
    } catch (e) {
      // The reason, for the posting thread's error: up to 255 UTF-16 units, 0-terminated.
      const text = String((e as Error)?.message ?? e).slice(0, 255);
      for (let i = 0; i < text.length; i++) why[256 * index + i] = text.charCodeAt(i);
      why[256 * index + text.length] = 0;
      Atomics.store(ctl, index, 3);
    }
    Atomics.notify(ctl, index);
  }
}
