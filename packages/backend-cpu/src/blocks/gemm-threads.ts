/**
 * Multi-threaded GEMM on Node. A large product's C is cut into strips of columns (or rows, if
 * C is tall) that the calling thread and the workers take off a shared atomic queue, so a
 * thread slowed by a busy machine simply takes fewer strips. When A, B and C already live in
 * SharedArrayBuffers (the CPU backend allocates float tensors there), every thread reads them
 * and writes its strips of C in place: nothing is copied. Other arrays are copied into shared
 * scratch buffers first, and the workers' strips of C copied back. Workers run the very functions of the single-thread path (their
 * source text is sent to the worker), and every element of C is summed in the same order
 * whoever computes it: the result is bitwise independent of the thread count. The caller
 * blocks in Atomics.wait (allowed on Node's main thread), so `gemm` stays synchronous.
 *
 * The same pool runs plane tasks (parallelPlanes): the Winograd transforms, split by planes of
 * shared-memory arrays the same way.
 *
 * Outside Node (browsers) or after `setGemmThreads(1)`, everything runs on the calling thread.
 */
import { scaleRows, type F } from './gemm.js';
import { gemmBlocked, gemmKernel3x4, gemmPackA, gemmPackAll, gemmPackB, gemmStoreTile, gemmTakeStrips, gemmWorkerMain, type GemmScratch } from './gemm-kernel.js';
import { winogradTask, winogradTaskWasm, winogradThreadFunctions } from './winograd.js';
import { wasmGemmBlocked, wasmGemmInstantiate, wasmGemmState, wasmGemmLayout, wasmGemmTakeStrips, wasmPackA, wasmPackABlock, wasmPackAll, wasmPackB, wasmReserve, wasmWorkerStates } from './gemm-wasm.js';
import { heap, residency, wasmModules, wasmState } from './wasm-kernels.js';

type WorkerThreads = typeof import('node:worker_threads');

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const wt: WorkerThreads | undefined = isNode ? await import('node:worker_threads') : undefined;
const cores: number = isNode ? (await import('node:os')).availableParallelism() : 1;

/** Products below this many multiply-adds stay on one thread (a wake-up round trip costs ~50 µs). */
const MIN_MACS = 1 << 22;
/** Worker states, one Int32 per worker in the control array. */
const IDLE = 0, POSTED = 1, DONE = 2, FAILED = 3;
/** At most this many strips per product (the owner table's size). */
const MAX_STRIPS = 256;

let wanted = Math.max(1, Math.min(4, cores));

interface Pool {
  readonly workers: import('node:worker_threads').Worker[];
  readonly ports: import('node:worker_threads').MessagePort[];
  /** States of the workers, then the strip queue's next index. */
  readonly ctl: Int32Array;
  /** The posted product's parameters (see gemmWorkerMain). */
  readonly job: Float64Array;
  /** Which thread (0 = caller, w + 1 = worker w) computed each strip. */
  readonly owner: Int32Array;
  /** Each worker's scratch block in the wasm heap: address, bytes (gemm-wasm.ts). */
  readonly scr: Float64Array;
  /** Why a worker failed: 256 UTF-16 units per worker, 0-terminated. */
  readonly why: Uint16Array;
  /** Scratch copies of A, B and C for operands that are not in shared memory. */
  sa?: SharedArrayBuffer;
  sb?: SharedArrayBuffer;
  sc?: SharedArrayBuffer;
  /** The ids the workers know shared buffers by; a buffer garbage-collected here is forgotten there. */
  readonly ids: WeakMap<SharedArrayBuffer, number>;
  readonly forget: FinalizationRegistry<number>;
  nextId: number;
}
let pool: Pool | undefined;
let broken = false;

/**
 * Sets how many threads large GEMMs use (the caller's included); 1 turns workers off.
 * Default: the machine's available parallelism, at most 4. Workers start on first use and are
 * unref'd, so they never keep a process alive.
 */
export function setGemmThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`setGemmThreads: expected a positive integer, found ${threads}`);
  wanted = threads;
  if (pool && pool.workers.length !== threads - 1) {
    for (const w of pool.workers) void w.terminate();
    // The workers' scratch blocks in the wasm heap go back to it.
    for (let w = 0; w < pool.workers.length; w++) if (pool.scr[2 * w + 1] > 0) heap?.free(pool.scr[2 * w], pool.scr[2 * w + 1]);
    pool = undefined;
  }
}

/** Threads a large GEMM uses now (1 where workers are unavailable). */
export function gemmThreads(): number {
  return wt && !broken && typeof SharedArrayBuffer === 'function' ? wanted : 1;
}

function startPool(workers: number): Pool | undefined {
  if (!wt) return undefined;
  const ctl = new Int32Array(new SharedArrayBuffer(4 * (workers + 1)));
  const job = new Float64Array(new SharedArrayBuffer(8 * 48));
  const owner = new Int32Array(new SharedArrayBuffer(4 * MAX_STRIPS));
  const scr = new Float64Array(new SharedArrayBuffer(16 * workers));
  const why = new Uint16Array(new SharedArrayBuffer(512 * workers));
  // `__name` is what esbuild's keepNames (tsx) may insert into transpiled functions.
  const source = [
    'const __name = (f) => f;',
    ...[gemmBlocked, gemmPackA, gemmPackAll, gemmPackB, gemmKernel3x4, gemmStoreTile, gemmTakeStrips, gemmWorkerMain, ...winogradThreadFunctions].map((f) => f.toString()),
    ...[wasmGemmBlocked, wasmGemmInstantiate, wasmGemmState, wasmGemmLayout, wasmGemmTakeStrips, wasmPackA, wasmPackABlock, wasmPackAll, wasmPackB, wasmReserve, wasmWorkerStates, winogradTaskWasm].map((f) => f.toString()),
    `const wtm = require('node:worker_threads');`,
    `const wasmState = wasmWorkerStates(wtm.workerData.wasm);`,
    `gemmWorkerMain(wtm, winogradTask, (v, r, scr, ...rest) => wasmGemmTakeStrips(wasmState(v, scr), r, ...rest), (v, scr, ...rest) => winogradTaskWasm(wasmState(v, scr), ...rest));`,
  ].join('\n');
  const ports: import('node:worker_threads').MessagePort[] = [];
  const forget = new FinalizationRegistry<number>((id) => {
    for (const port of ports) port.postMessage({ forget: id });
  });
  const p: Pool = { workers: [], ports, ctl, job, owner, scr, why, ids: new WeakMap(), forget, nextId: 0 };
  for (let i = 0; i < workers; i++) {
    const { port1, port2 } = new wt.MessageChannel();
    // execArgv []: the workers run only the plain source above, so they skip the parent's
    // --import hooks (a TypeScript loader such as tsx), which would cost start-up time and
    // typed-array speed there (see the README's note on V8's detach checks).
    const w = new wt.Worker(source, { eval: true, execArgv: [], workerData: { ctl, job, owner, scr, why, index: i, queue: workers, port: port2, wasm: { modules: wasmModules, memory: heap?.shared ? heap.memory : undefined } }, transferList: [port2] });
    w.unref();
    port1.unref();
    p.workers.push(w);
    p.ports.push(port1);
  }
  // Every worker reports ready; one that cannot start turns threading off for good.
  for (let i = 0; i < workers; i++) {
    Atomics.wait(ctl, i, IDLE, 10_000);
    if (Atomics.load(ctl, i) !== DONE) {
      for (const w of p.workers) void w.terminate();
      broken = true;
      return undefined;
    }
    Atomics.store(ctl, i, IDLE);
  }
  return p;
}

const calls = { inPlace: 0, copied: 0, planeTasks: 0 };

/**
 * How many threaded products ran on shared operands in place, how many through copies, and how
 * many plane tasks (parallelPlanes) the threads shared.
 */
export function gemmThreadStats(): { readonly inPlace: number; readonly copied: number; readonly planeTasks: number } {
  return { ...calls };
}

/** The id the workers know `sab` by, posting it to them first if it is new. */
function bufferId(p: Pool, sab: SharedArrayBuffer): number {
  let id = p.ids.get(sab);
  if (id === undefined) {
    id = p.nextId++;
    p.ids.set(sab, id);
    p.forget.register(sab, id);
    for (const port of p.ports) port.postMessage({ id, sab });
  }
  return id;
}

const inShared = (x: F): boolean => typeof SharedArrayBuffer !== 'undefined' && x.buffer instanceof SharedArrayBuffer;

function shared(buf: SharedArrayBuffer | undefined, bytes: number): SharedArrayBuffer {
  return buf && buf.byteLength >= bytes ? buf : new SharedArrayBuffer(Math.max(bytes, 2 * (buf?.byteLength ?? 0)));
}

/** Copies a rows×cols block (row strides srcLd, dstLd) from src at srcOff to dst at dstOff. */
function copyBlock(src: F, srcOff: number, srcLd: number, rows: number, cols: number, dst: F, dstOff: number, dstLd: number): void {
  for (let r = 0; r < rows; r++) dst.set(src.subarray(srcOff + r * srcLd, srcOff + r * srcLd + cols), dstOff + r * dstLd);
}

/**
 * Runs C ← α·op(A)·op(B) + β·C on several threads when it pays and returns true; returns false
 * (nothing done, C untouched) for small products, with threads off, or when the arrays' types
 * differ. With β = 0 each thread clears its own strips of C (C is never read, even if NaN).
 */
export function gemmThreaded(
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
  beta: number, scratch: GemmScratch, wasm?: 'simd' | 'relaxed',
): boolean {
  const threads = gemmThreads();
  if (threads < 2 || m * n * k < MIN_MACS) return false;
  // Worker threads run the wasm kernels only on a shared heap.
  if (wasm && !heap?.shared) return false;
  const f64 = c instanceof Float64Array;
  if (a instanceof Float64Array !== f64 || b instanceof Float64Array !== f64) return false;
  pool ??= startPool(threads - 1);
  if (!pool) return false;
  const p = pool;
  const byCols = n >= m;
  const len = byCols ? n : m;
  // About four strips per thread, each a multiple of 24 (3×4 and 4×8 micro-tiles stay whole) and at least 24 wide.
  const step = Math.max(24, Math.ceil(len / (4 * threads) / 24) * 24, Math.ceil(len / MAX_STRIPS / 24) * 24);
  const strips = Math.ceil(len / step);
  if (strips < 2) return false;

  const bytes = f64 ? 8 : 4;
  const zero = beta === 0;
  if (!zero) scaleRows(c, cOff, ldc, m, n, beta);
  // Operands in shared memory are used where they are; others go through dense shared copies
  // (layouts and transposes kept), and C's strips computed by workers are copied back.
  const direct = inShared(a) && inShared(b) && inShared(c);
  calls[direct ? 'inPlace' : 'copied']++;
  let wa: F = a, wb: F = b, wc: F = c;
  let waOff = aOff, wbOff = bOff, wcOff = cOff, wlda = lda, wldb = ldb, wldc = ldc;
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  if (!direct) {
    p.sa = shared(p.sa, aRows * aCols * bytes);
    p.sb = shared(p.sb, bRows * bCols * bytes);
    p.sc = shared(p.sc, m * n * bytes);
    const view = (buf: SharedArrayBuffer): F => (f64 ? new Float64Array(buf) : new Float32Array(buf));
    wa = view(p.sa);
    wb = view(p.sb);
    wc = view(p.sc);
    copyBlock(a, aOff, lda, aRows, aCols, wa, 0, aCols);
    copyBlock(b, bOff, ldb, bRows, bCols, wb, 0, bCols);
    if (!zero) copyBlock(c, cOff, ldc, m, n, wc, 0, n);
    [waOff, wbOff, wcOff, wlda, wldb, wldc] = [0, 0, 0, aCols, bCols, n];
  }
  const ida = bufferId(p, wa.buffer as SharedArrayBuffer), idb = bufferId(p, wb.buffer as SharedArrayBuffer), idc = bufferId(p, wc.buffer as SharedArrayBuffer);
  const elem = (x: F) => x.byteOffset / bytes;

  p.job.set([
    m, n, k, wlda, transA ? 1 : 0, wldb, transB ? 1 : 0, alpha, byCols ? 1 : 0, strips, step, f64 ? 1 : 0, zero ? 1 : 0,
    ida, idb, idc, elem(wa) + waOff, elem(wb) + wbOff, elem(wc) + wcOff, wldc, 0,
  ]);
  p.job[44] = wasm === 'relaxed' ? 2 : wasm === 'simd' ? 1 : 0;
  const resident = wasm ? residency(a, b, c) : 0;
  if (wasm) {
    // Workers see the operands where the caller does only on the direct path; each gets a
    // scratch block big enough for its strips.
    p.job[45] = direct ? resident : 0;
    workerScratch(p, 4 * wasmGemmLayout(byCols ? m : step, k).end);
  }
  // The caller takes strips too, computing them in place on the original arrays.
  runPosted(p, 'gemm', () => {
    if (wasm) wasmGemmTakeStrips(wasmState(wasm), resident, p.ctl, p.workers.length, p.owner, 0, strips, step, byCols, zero, m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha);
    else gemmTakeStrips(p.ctl, p.workers.length, p.owner, 0, strips, step, byCols, zero, m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha, scratch);
  });
  if (direct) return true;
  for (let i = 0; i < strips; i++) {
    if (p.owner[i] === 0) continue;
    const s = i * step, e = Math.min(len, s + step);
    if (byCols) copyBlock(wc, s, n, m, e - s, c, cOff + s, ldc);
    else copyBlock(wc, s * n, n, e - s, n, c, cOff + s * ldc, ldc);
  }
  return true;
}

/** Makes every worker's scratch block in the heap at least `bytes` long (1 MiB steps). */
function workerScratch(p: Pool, bytes: number): void {
  for (let w = 0; w < p.workers.length; w++) {
    if (p.scr[2 * w + 1] >= bytes) continue;
    const size = Math.ceil(bytes / (1 << 20)) << 20;
    const at = heap!.alloc(size);
    if (at === undefined) throw new RangeError(`gemm: the WebAssembly memory cannot grow past ${heap!.bytes} bytes (maximum ${heap!.maxBytes}) for ${p.workers.length} worker scratch blocks of ${size} bytes`);
    if (p.scr[2 * w + 1] > 0) heap!.free(p.scr[2 * w], p.scr[2 * w + 1]);
    p.scr[2 * w] = at;
    p.scr[2 * w + 1] = size;
  }
}

/** Posts the job in p.job to every worker, runs the caller's share, and waits for all of them. */
function runPosted(p: Pool, what: string, callerShare: () => void): void {
  const workers = p.workers.length;
  Atomics.store(p.ctl, workers, 0);
  for (let w = 0; w < workers; w++) {
    Atomics.store(p.ctl, w, POSTED);
    Atomics.notify(p.ctl, w);
  }
  callerShare();
  let failed = "";
  for (let w = 0; w < workers; w++) {
    while (Atomics.load(p.ctl, w) === POSTED) Atomics.wait(p.ctl, w, POSTED);
    if (Atomics.load(p.ctl, w) === FAILED) {
      const units = p.why.subarray(256 * w, 256 * w + 256);
      failed = `${failed ? `${failed}; ` : ''}worker ${w + 1}: ${String.fromCharCode(...units.subarray(0, Math.max(0, units.indexOf(0))))}`;
    }
    Atomics.store(p.ctl, w, IDLE);
  }
  if (failed) throw new Error(`${what}: a worker thread failed (${failed})`);
}

/** Plane tasks below this many scalars written stay on one thread. */
const MIN_PLANE_WORK = 1 << 17;

/**
 * Runs winogradTask(task, params, a0, a1, a2, from, to) over planes [0, planes) on all threads
 * — chunks of planes off the shared queue, as GEMM strips are — and returns true; returns false
 * (nothing done) when it would not pay (`work`: scalars written in all), threads are off, or an
 * array is not in shared memory. Each plane is written by exactly one thread, with the same
 * code as on one thread: the result does not depend on the thread count.
 */
export function parallelPlanes(task: number, planes: number, work: number, params: readonly number[], a0: F, a1: F, a2?: F, wasm?: { readonly variant: 'simd' | 'relaxed'; readonly scratchBytes: number }): boolean {
  const threads = gemmThreads();
  if (threads < 2 || work < MIN_PLANE_WORK || planes < 2) return false;
  const arrays = [a0, a1, a2];
  const f64 = a0 instanceof Float64Array;
  if (!arrays.every((x) => x === undefined || (inShared(x) && x instanceof Float64Array === f64))) return false;
  pool ??= startPool(threads - 1);
  if (!pool) return false;
  const p = pool;
  const chunk = Math.ceil(planes / (4 * threads));
  const chunks = Math.ceil(planes / chunk);
  p.job.fill(0);
  p.job[11] = f64 ? 1 : 0;
  p.job.set([1, task, chunks, chunk, planes], 20);
  arrays.forEach((x, i) => p.job.set(x ? [bufferId(p, x.buffer as SharedArrayBuffer), x.byteOffset, x.length] : [-1, 0, 0], 25 + 3 * i));
  p.job.set(params, 34);
  if (wasm) {
    p.job[46] = wasm.variant === 'relaxed' ? 2 : 1;
    workerScratch(p, wasm.scratchBytes);
  }
  calls.planeTasks++;
  const ws = wasm && wasmState(wasm.variant);
  runPosted(p, 'winograd', () => {
    for (let i = Atomics.add(p.ctl, p.workers.length, 1); i < chunks; i = Atomics.add(p.ctl, p.workers.length, 1)) {
      if (ws) winogradTaskWasm(ws, task, params, a0, a1, a2, i * chunk, Math.min(planes, (i + 1) * chunk));
      else winogradTask(task, params, a0, a1, a2, i * chunk, Math.min(planes, (i + 1) * chunk));
    }
  });
  return true;
}
