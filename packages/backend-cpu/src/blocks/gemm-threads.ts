/**
 * Multi-threaded GEMM on Node: large products are split into column (or row) strips, one per
 * thread. The calling thread computes the first strip in place; each worker computes its strip
 * on copies of A, B and its part of C in SharedArrayBuffers, and the caller copies the strips
 * back. Workers run the very same functions as the single-thread path (their source text is
 * sent to the worker), so every element of C is summed in the same order: the result is
 * bitwise independent of the thread count. The caller blocks in Atomics.wait (allowed on
 * Node's main thread) until its workers are done, so `gemm` stays synchronous.
 *
 * Outside Node (browsers) or when `setGemmThreads(1)`, everything runs on the calling thread.
 */
import type { F } from './gemm.js';
import { gemmBlocked, gemmKernel4x4, gemmPackA, gemmPackB, gemmStoreTile, gemmWorkerMain, type GemmScratch } from './gemm-kernel.js';

type WorkerThreads = typeof import('node:worker_threads');
type Os = typeof import('node:os');

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const wt: WorkerThreads | undefined = isNode ? await import('node:worker_threads') : undefined;
const os: Os | undefined = isNode ? await import('node:os') : undefined;

/** Products smaller than this many multiply-adds stay on one thread (a round trip costs ~50 µs). */
const MIN_MACS = 1 << 22;
/** Worker states in the control array (one Int32 per worker); job parameters are 16 float64 slots per worker. */
const IDLE = 0, POSTED = 1, DONE = 2, FAILED = 3;

let wanted = Math.max(1, Math.min(4, os?.availableParallelism() ?? 1));

interface Pool {
  readonly workers: import('node:worker_threads').Worker[];
  readonly ports: import('node:worker_threads').MessagePort[];
  /** One Int32 state per worker. */
  readonly ctl: Int32Array;
  /** 16 float64 job parameters per worker. */
  readonly job: Float64Array;
  sa?: SharedArrayBuffer;
  sb?: SharedArrayBuffer;
  sc?: SharedArrayBuffer;
}
let pool: Pool | undefined;
let broken = false;

/**
 * Sets how many threads large GEMMs use (the caller's thread included); 1 turns workers off.
 * Default: the machine's available parallelism, at most 4. Workers start on first use and
 * are unref'd, so they never keep a process alive.
 */
export function setGemmThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`setGemmThreads: expected a positive integer, found ${threads}`);
  wanted = threads;
  if (pool && pool.workers.length !== threads - 1) shutdown();
}

/** Threads a large GEMM uses now (1 when workers are unavailable). */
export function gemmThreads(): number {
  return wt && !broken ? wanted : 1;
}

function shutdown(): void {
  for (const w of pool?.workers ?? []) void w.terminate();
  pool = undefined;
}

function startPool(workers: number): Pool | undefined {
  if (!wt) return undefined;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * workers));
  const job = new Float64Array(new SharedArrayBuffer(8 * 16 * workers));
  // `__name` is what esbuild's keepNames (tsx, vitest) inserts into transpiled functions.
  const source = [
    'const __name = (f) => f;',
    ...[gemmBlocked, gemmPackA, gemmPackB, gemmKernel4x4, gemmStoreTile, gemmWorkerMain].map((f) => f.toString()),
    `gemmWorkerMain(require('node:worker_threads'));`,
  ].join('\n');
  const p: Pool = { workers: [], ports: [], ctl, job };
  for (let i = 0; i < workers; i++) {
    const { port1, port2 } = new wt.MessageChannel();
    const w = new wt.Worker(source, { eval: true, workerData: { ctl, job, index: i, port: port2 }, transferList: [port2] });
    w.unref();
    port1.unref();
    p.workers.push(w);
    p.ports.push(port1);
  }
  // Wait for every worker to report ready; a worker that cannot start turns threading off.
  for (let i = 0; i < workers; i++) {
    if (Atomics.wait(ctl, i, IDLE, 10_000) === 'timed-out' && Atomics.load(ctl, i) !== DONE) {
      for (const w of p.workers) void w.terminate();
      broken = true;
      return undefined;
    }
    Atomics.store(ctl, i, IDLE);
  }
  return p;
}

function sharedOfSize(buf: SharedArrayBuffer | undefined, bytes: number): SharedArrayBuffer {
  return buf && buf.byteLength >= bytes ? buf : new SharedArrayBuffer(Math.max(bytes, 2 * (buf?.byteLength ?? 0)));
}

/** Copies a rows×cols block at `off` (row stride ld) of `src` densely into `dst` at 0, or back. */
function copyBlock(src: F, off: number, ld: number, rows: number, cols: number, dst: F, dstOff: number, dstLd: number): void {
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), dstOff + r * dstLd);
}

/**
 * Runs C += α·op(A)·op(B) on several threads when it pays and returns true; returns false
 * (nothing done) when the product is small, threads are off, or the arrays' types differ.
 */
export function gemmThreaded(
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
  scratch: GemmScratch,
): boolean {
  const threads = gemmThreads();
  if (threads < 2 || m * n * k < MIN_MACS) return false;
  const f64 = c instanceof Float64Array;
  if (a instanceof Float64Array !== f64 || b instanceof Float64Array !== f64) return false;
  if (!pool) pool = startPool(threads - 1);
  if (!pool) return false;
  const p = pool;
  // Strips along the longer side of C, in multiples of the 4-wide micro-tile.
  const byCols = n >= m;
  const len = byCols ? n : m;
  const parts = Math.min(threads, Math.ceil(len / 16));
  if (parts < 2) return false;
  const step = Math.ceil(len / parts / 4) * 4;
  const ranges: [number, number][] = [];
  for (let s = 0; s < len; s += step) ranges.push([s, Math.min(len, s + step)]);

  // Dense shared copies of the stored A and B (their layouts, transposes included) and of C.
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const bytes = f64 ? 8 : 4;
  const sa = sharedOfSize(p.sa, aRows * aCols * bytes);
  const sb = sharedOfSize(p.sb, bRows * bCols * bytes);
  const sc = sharedOfSize(p.sc, m * n * bytes);
  if (sa !== p.sa || sb !== p.sb || sc !== p.sc) {
    p.sa = sa;
    p.sb = sb;
    p.sc = sc;
    for (const port of p.ports) port.postMessage({ sa, sb, sc });
  }
  const view = (buf: SharedArrayBuffer): F => (f64 ? new Float64Array(buf) : new Float32Array(buf));
  const va = view(sa), vb = view(sb), vc = view(sc);
  copyBlock(a, aOff, lda, aRows, aCols, va, 0, aCols);
  copyBlock(b, bOff, ldb, bRows, bCols, vb, 0, bCols);

  for (let w = 1; w < ranges.length; w++) {
    const [s, e] = ranges[w];
    const jb = (w - 1) * 16;
    const job = p.job;
    // Strip of C: columns s..e (rows 0..m) or rows s..e (columns 0..n), dense in vc with ld = n.
    const cStart = byCols ? s : s * n;
    copyBlock(c, cOff + (byCols ? s : s * ldc), ldc, byCols ? m : e - s, byCols ? e - s : n, vc, cStart, n);
    job[jb] = byCols ? m : e - s;
    job[jb + 1] = byCols ? e - s : n;
    job[jb + 2] = k;
    job[jb + 3] = byCols ? 0 : transA ? s : s * aCols;
    job[jb + 4] = aCols;
    job[jb + 5] = transA ? 1 : 0;
    job[jb + 6] = byCols ? (transB ? s * bCols : s) : 0;
    job[jb + 7] = bCols;
    job[jb + 8] = transB ? 1 : 0;
    job[jb + 9] = cStart;
    job[jb + 10] = n;
    job[jb + 11] = alpha;
    job[jb + 15] = f64 ? 1 : 0;
    Atomics.store(p.ctl, w - 1, POSTED);
    Atomics.notify(p.ctl, w - 1);
  }
  // The caller's own strip, in place on the original arrays.
  const [s0, e0] = ranges[0];
  const { pa, pb, acc } = scratch;
  if (byCols) gemmBlocked(m, e0 - s0, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha, pa, pb, acc);
  else gemmBlocked(e0 - s0, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha, pa, pb, acc);

  let failed = false;
  for (let w = 1; w < ranges.length; w++) {
    while (Atomics.load(p.ctl, w - 1) === POSTED) Atomics.wait(p.ctl, w - 1, POSTED);
    failed ||= Atomics.load(p.ctl, w - 1) === FAILED;
    Atomics.store(p.ctl, w - 1, IDLE);
    const [s, e] = ranges[w];
    const cStart = byCols ? s : s * n;
    copyBlock(vc, cStart, n, byCols ? m : e - s, byCols ? e - s : n, c, cOff + (byCols ? s : s * ldc), ldc);
  }
  if (failed) throw new Error('gemm: a worker thread failed');
  return true;
}
