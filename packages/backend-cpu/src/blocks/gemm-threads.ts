/**
 * Multi-threaded GEMM. A large product's C is cut into strips of columns (or rows, if C is tall)
 * that the calling thread and the workers take off a shared atomic queue, so a thread slowed by a
 * busy machine simply takes fewer strips. Workers run the very functions of the single-thread
 * path (their source text is sent to the worker), and every element of C is summed in the same
 * order whoever computes it: the result is bitwise independent of the thread count. The caller
 * blocks in Atomics.wait until the workers are done, so `gemm` stays synchronous.
 *
 * On Node (node:worker_threads) the operands may live in any SharedArrayBuffer: workers learn
 * new buffers from a MessagePort read synchronously at each job, read A and B and write their
 * strips of C in place. Other arrays are copied into shared scratch buffers first, and the
 * workers' strips of C copied back.
 *
 * In browsers the pool runs where the calling thread may block (a dedicated Web Worker; never a
 * page's main thread) on a cross-origin isolated page (shared memory). Workers come from a Blob
 * URL of the same source text, and start asynchronously: the pool is started without waiting,
 * products stay on the calling thread until every worker has reported ready (checked with
 * Atomics.load), and gemmThreadsReady() awaits that. A browser worker receives one message, at
 * its start, and none after: it sees only the wasm heap's memory (re-reading its buffer, which
 * grows), so operands outside the heap are copied into heap scratch first, or the work stays on
 * one thread.
 *
 * The same pool runs plane tasks (parallelPlanes): the Winograd transforms, split by planes of
 * shared-memory arrays the same way. After `setGemmThreads(1)`, everything runs on the calling
 * thread.
 */
import { scaleRows, type F } from './gemm.js';
import { gemmBlocked, gemmKernel3x4, gemmPackA, gemmPackAll, gemmPackB, gemmStoreTile, gemmTakeStrips, gemmWorkerMain, type GemmScratch } from './gemm-kernel.js';
import { winogradTask, winogradTaskWasm, winogradThreadFunctions } from './winograd.js';
import { wasmGemmBlocked, wasmGemmInstantiate, wasmGemmState, wasmGemmLayout, wasmGemmTakeStrips, wasmPackA, wasmPackABlock, wasmPackAll, wasmPackB, wasmReserve, wasmWorkerStates } from './gemm-wasm.js';
import { heap, residency, wasmModules, wasmState } from './wasm-kernels.js';

type WorkerThreads = typeof import('node:worker_threads');

/** What the pool does with a worker, Node's or a browser's. */
interface PoolWorker {
  terminate(): unknown;
}

/** A browser's Web Worker, as the pool uses it (typed here: the declarations need no DOM library). */
interface WebWorker extends PoolWorker {
  postMessage(message: unknown): void;
  onerror: ((e: { readonly message?: string; preventDefault(): void }) => void) | null;
}

/** The browser globals the pool uses. */
interface WebGlobals {
  readonly Worker?: new (url: string, options?: { name?: string }) => WebWorker;
  readonly Blob?: new (parts: string[], options: { type: string }) => object;
  readonly URL?: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  readonly crossOriginIsolated?: boolean;
  readonly document?: unknown;
  readonly navigator?: { readonly hardwareConcurrency?: number };
}
const web = globalThis as WebGlobals;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const wt: WorkerThreads | undefined = isNode ? await import('node:worker_threads') : undefined;
const cores: number = isNode ? (await import('node:os')).availableParallelism() : Math.max(1, web.navigator?.hardwareConcurrency ?? 1);

/** Products below this many multiply-adds stay on one thread (a wake-up round trip costs ~50 µs). */
const MIN_MACS = 1 << 22;
/** Worker states, one Int32 per worker in the control array; a worker reports ready with DONE. */
const IDLE = 0, POSTED = 1, DONE = 2, FAILED = 3;
/** At most this many strips per product (the owner table's size). */
const MAX_STRIPS = 256;
/** The buffer id (job slots) that names the wasm heap's memory (gemmWorkerMain). */
const HEAP = -2;
/** How long gemmThreadsReady waits for browser workers to start before giving up on them. */
const START_MS = 30_000;

/**
 * Why this thread can never have GEMM workers, or undefined where it can. In a browser the
 * caller must be able to block in Atomics.wait (a dedicated worker, not a page's main thread),
 * share memory (cross-origin isolation) and start workers.
 */
function unavailableHere(): string | undefined {
  if (isNode) return typeof SharedArrayBuffer === 'function' ? undefined : 'this runtime has no SharedArrayBuffer';
  if (web.document !== undefined) return "the page's main thread cannot block";
  if (typeof SharedArrayBuffer !== 'function' || web.crossOriginIsolated === false) return 'the page is not cross-origin isolated (no SharedArrayBuffer)';
  if (!heap?.shared) return 'no shared WebAssembly memory';
  try {
    // 'not-equal' at once where waiting is allowed; a TypeError where this thread may not block.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return 'this thread cannot block (Atomics.wait)';
  }
  if (!web.Worker || !web.Blob || !web.URL?.createObjectURL) return 'this thread cannot start Web Workers';
  return undefined;
}
const unavailable = unavailableHere();

let wanted = Math.max(1, Math.min(4, cores));

interface Pool {
  readonly workers: PoolWorker[];
  /** Node: the ports that introduce shared buffers to the workers (none in browsers). */
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
  /** Whether every worker has reported ready (Node: before startPool returns; browsers: see poolReady). */
  ready: boolean;
  /** Browsers: the error a worker raised before it reported ready. */
  failed?: string;
  /** Browsers: the Blob URL of the workers' source, revoked once they are up. */
  url?: string;
  /** Node: scratch copies of A, B and C for operands that are not in shared memory. */
  sa?: SharedArrayBuffer;
  sb?: SharedArrayBuffer;
  sc?: SharedArrayBuffer;
  /** Browsers: the same copies as blocks of the wasm heap, address and bytes for A, B, C. */
  readonly hs: number[];
  /** The ids the workers know shared buffers by; a buffer garbage-collected here is forgotten there. */
  readonly ids: WeakMap<SharedArrayBuffer, number>;
  readonly forget: FinalizationRegistry<number>;
  nextId: number;
}
let pool: Pool | undefined;
/** Why threading was turned off for good (a worker could not start), once it was. */
let broken: string | undefined;

/**
 * Sets how many threads large GEMMs use (the caller's included); 1 turns workers off.
 * Default: the machine's available parallelism (Node) or navigator.hardwareConcurrency, at most
 * 4. Workers start on first use (or at gemmThreadsReady()); Node's are unref'd, so they never
 * keep a process alive.
 */
export function setGemmThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`setGemmThreads: expected a positive integer, found ${threads}`);
  wanted = threads;
  if (pool && pool.workers.length !== threads - 1) dropPool(pool);
}

/** Terminates the pool's workers and returns its blocks to the wasm heap. */
function dropPool(p: Pool): void {
  for (const w of p.workers) void w.terminate();
  for (let w = 0; w < p.workers.length; w++) if (p.scr[2 * w + 1] > 0) heap?.free(p.scr[2 * w], p.scr[2 * w + 1]);
  for (let i = 0; i < 3; i++) if (p.hs[2 * i + 1] > 0) heap?.free(p.hs[2 * i], p.hs[2 * i + 1]);
  if (p.url) web.URL?.revokeObjectURL(p.url);
  if (pool === p) pool = undefined;
}

/** Whether threads could be used here, as asked (they may still be starting in a browser). */
function usable(): boolean {
  return wanted > 1 && unavailable === undefined && broken === undefined;
}

/**
 * Threads a large GEMM uses now, the caller's included: 1 where workers are unavailable
 * (gemmThreadsReason says why), and in a browser also until the workers have started.
 */
export function gemmThreads(): number {
  if (!usable()) return 1;
  if (isNode) return wanted;
  return pool && poolReady(pool) ? pool.workers.length + 1 : 1;
}

/**
 * Why large products run on fewer threads than setGemmThreads asked for, or undefined when they
 * use them all (or one was asked for): e.g. "the page's main thread cannot block", "the page is
 * not cross-origin isolated (no SharedArrayBuffer)", a worker that failed to start, or browser
 * workers still starting. The CPU backend's description quotes it.
 */
export function gemmThreadsReason(): string | undefined {
  if (wanted < 2) return undefined;
  if (unavailable !== undefined) return unavailable;
  if (broken !== undefined) return broken;
  if (isNode || (pool && poolReady(pool))) return undefined;
  return pool ? 'the worker threads are starting (await gemmThreadsReady())' : 'the worker threads start with the first large product or gemmThreadsReady()';
}

/**
 * Starts the GEMM workers if they have not started, waits until they are ready, and resolves to
 * the number of threads large products use (as gemmThreads(): 1 where workers are unavailable,
 * with gemmThreadsReason() saying why). On Node the workers start synchronously anyway; in a
 * browser they start asynchronously, and until they have, products run on the calling thread. A
 * worker that raises an error or does not start within 30 s turns threading off (resolves to 1).
 * Never rejects.
 */
export async function gemmThreadsReady(): Promise<number> {
  if (!usable()) return gemmThreads();
  pool ??= startPool(wanted - 1);
  const p = pool;
  const t0 = Date.now();
  while (p && pool === p && !poolReady(p)) {
    if (Date.now() - t0 > START_MS) {
      shutDown(p, `the worker threads did not start within ${START_MS / 1000} s`);
      break;
    }
    // A worker starts only while this thread runs its event loop: yield to it.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return gemmThreads();
}

/** Turns threading off for good, with the reason (gemmThreadsReason). */
function shutDown(p: Pool, reason: string): void {
  broken = reason;
  dropPool(p);
}

/**
 * Whether every worker of the pool has reported ready (DONE in its state); the first time they
 * all have, sets them idle. A browser worker that raised an error first shuts the pool down.
 */
function poolReady(p: Pool): boolean {
  if (p.ready) return true;
  if (p.failed !== undefined) {
    shutDown(p, `a worker thread failed to start (${p.failed})`);
    return false;
  }
  for (let w = 0; w < p.workers.length; w++) if (Atomics.load(p.ctl, w) !== DONE) return false;
  for (let w = 0; w < p.workers.length; w++) Atomics.store(p.ctl, w, IDLE);
  p.ready = true;
  if (p.url) web.URL?.revokeObjectURL(p.url);
  p.url = undefined;
  return true;
}

/**
 * The functions every worker runs, as source text. They reference nothing but their arguments,
 * globals and each other (no imports, no module constants); they are named by their `name`, so a
 * minifier's renaming (a bundled page) keeps the references consistent. `__name` is what
 * esbuild's keepNames (tsx) may insert into transpiled functions.
 */
function workerFunctions(): string {
  const fns = [
    gemmBlocked, gemmPackA, gemmPackAll, gemmPackB, gemmKernel3x4, gemmStoreTile, gemmTakeStrips, gemmWorkerMain, ...winogradThreadFunctions,
    wasmGemmBlocked, wasmGemmInstantiate, wasmGemmState, wasmGemmLayout, wasmGemmTakeStrips, wasmPackA, wasmPackABlock, wasmPackAll, wasmPackB, wasmReserve, wasmWorkerStates, winogradTaskWasm,
  ];
  return ['const __name = (f) => f;', ...fns.map((f) => f.toString())].join('\n');
}

/** The worker's loop (gemmWorkerMain) on `wtm`, with the wasm kernels of `states` (wasmWorkerStates). */
function workerMainCall(wtm: string, states: string): string {
  return `${gemmWorkerMain.name}(${wtm}, ${winogradTask.name}, (__v, __r, __s, ...__rest) => ${wasmGemmTakeStrips.name}(${states}(__v, __s), __r, ...__rest), (__v, __s, ...__rest) => ${winogradTaskWasm.name}(${states}(__v, __s), ...__rest));`;
}

function startPool(workers: number): Pool | undefined {
  const p: Pool = {
    workers: [], ports: [],
    ctl: new Int32Array(new SharedArrayBuffer(4 * (workers + 1))),
    job: new Float64Array(new SharedArrayBuffer(8 * 48)),
    owner: new Int32Array(new SharedArrayBuffer(4 * MAX_STRIPS)),
    scr: new Float64Array(new SharedArrayBuffer(16 * workers)),
    why: new Uint16Array(new SharedArrayBuffer(512 * workers)),
    ready: false, hs: [0, 0, 0, 0, 0, 0], ids: new WeakMap(), nextId: 0,
    forget: new FinalizationRegistry<number>((id) => {
      for (const port of p.ports) port.postMessage({ forget: id });
    }),
  };
  return wt ? startNodePool(wt, p, workers) : startWebPool(p, workers);
}

function startNodePool(wtm: WorkerThreads, p: Pool, workers: number): Pool | undefined {
  const { ctl, job, owner, scr, why } = p;
  const source = [workerFunctions(), `const __wtm = require('node:worker_threads');`, `const __wasm = ${wasmWorkerStates.name}(__wtm.workerData.wasm);`, workerMainCall('__wtm', '__wasm')].join('\n');
  for (let i = 0; i < workers; i++) {
    const { port1, port2 } = new wtm.MessageChannel();
    // execArgv []: the workers run only the plain source above, so they skip the parent's
    // --import hooks (a TypeScript loader such as tsx), which would cost start-up time and
    // typed-array speed there (see the README's note on V8's detach checks).
    const w = new wtm.Worker(source, { eval: true, execArgv: [], workerData: { ctl, job, owner, scr, why, index: i, queue: workers, port: port2, wasm: { modules: wasmModules, memory: heap?.shared ? heap.memory : undefined } }, transferList: [port2] });
    w.unref();
    port1.unref();
    p.workers.push(w);
    p.ports.push(port1);
  }
  // Every worker reports ready; one that cannot start turns threading off for good.
  for (let i = 0; i < workers; i++) {
    Atomics.wait(ctl, i, IDLE, 10_000);
    if (Atomics.load(ctl, i) !== DONE) {
      shutDown(p, `worker thread ${i + 1} did not start within 10 s`);
      return undefined;
    }
    Atomics.store(ctl, i, IDLE);
  }
  p.ready = true;
  return p;
}

/**
 * Starts the browser workers without waiting for them (they start only once this thread returns
 * to its event loop): each gets the control arrays, the compiled wasm modules and the heap's
 * memory in one message, and reports ready in its state (poolReady). Nothing is fetched: the
 * source is a Blob URL.
 */
function startWebPool(p: Pool, workers: number): Pool | undefined {
  const { ctl, job, owner, scr, why } = p;
  // Wrapped in a function so that the (maybe minified) names stay out of the worker's global scope.
  const source = [
    '(() => {', workerFunctions(),
    'globalThis.onmessage = (__e) => {',
    '  globalThis.onmessage = null;',
    '  const __wtm = { workerData: __e.data, receiveMessageOnPort: () => undefined };',
    `  const __wasm = ${wasmWorkerStates.name}(__e.data.wasm);`,
    `  ${workerMainCall('__wtm', '__wasm')}`,
    '};', '})();',
  ].join('\n');
  try {
    p.url = web.URL!.createObjectURL(new web.Blob!([source], { type: 'text/javascript' }));
    for (let i = 0; i < workers; i++) {
      const w = new web.Worker!(p.url, { name: `hubel-gemm-${i + 1}` });
      w.onerror = (e) => {
        e.preventDefault();
        p.failed ??= e.message || 'an error event without a message';
      };
      p.workers.push(w);
      w.postMessage({ ctl, job, owner, scr, why, index: i, queue: workers, wasm: { modules: wasmModules, memory: heap!.memory } });
    }
  } catch (e) {
    shutDown(p, `a worker thread failed to start (${(e as Error).message ?? String(e)})`);
    return undefined;
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
const inHeap = (x: F): boolean => heap?.shared === true && heap.contains(x);
/** Whether the workers can address `x` where it is: any shared memory on Node, the wasm heap in browsers. */
const reachable = (x: F): boolean => (wt ? inShared(x) : inHeap(x));

function shared(buf: SharedArrayBuffer | undefined, bytes: number): SharedArrayBuffer {
  return buf && buf.byteLength >= bytes ? buf : new SharedArrayBuffer(Math.max(bytes, 2 * (buf?.byteLength ?? 0)));
}

/**
 * Browsers: views of the pool's heap blocks for copies of A, B and C, of `bytes[i]` bytes each
 * (blocks grow by doubling), or undefined when the heap cannot grow that far.
 */
function heapCopies(p: Pool, bytes: readonly number[], f64: boolean): F[] | undefined {
  for (let i = 0; i < 3; i++) {
    if (p.hs[2 * i + 1] >= bytes[i]) continue;
    const size = Math.max(bytes[i], 2 * p.hs[2 * i + 1]);
    const at = heap!.alloc(size);
    if (at === undefined) return undefined;
    if (p.hs[2 * i + 1] > 0) heap!.free(p.hs[2 * i], p.hs[2 * i + 1]);
    p.hs[2 * i] = at;
    p.hs[2 * i + 1] = size;
  }
  const buffer = heap!.buffer(); // after any growth, so that it covers every block
  return [0, 1, 2].map((i) => (f64 ? new Float64Array(buffer, p.hs[2 * i], bytes[i] / 8) : new Float32Array(buffer, p.hs[2 * i], bytes[i] / 4)));
}

/** Copies a rows×cols block (row strides srcLd, dstLd) from src at srcOff to dst at dstOff. */
function copyBlock(src: F, srcOff: number, srcLd: number, rows: number, cols: number, dst: F, dstOff: number, dstLd: number): void {
  for (let r = 0; r < rows; r++) dst.set(src.subarray(srcOff + r * srcLd, srcOff + r * srcLd + cols), dstOff + r * dstLd);
}

/**
 * Runs C ← α·op(A)·op(B) + β·C on several threads when it pays and returns true; returns false
 * (nothing done, C untouched) for small products, with threads off or (browsers) still starting,
 * when the arrays' types differ, or when a browser's heap has no room for copies of operands
 * outside it. With β = 0 each thread clears its own strips of C (C is never read, even if NaN).
 */
export function gemmThreaded(
  m: number, n: number, k: number,
  a: F, aOff: number, lda: number, transA: boolean,
  b: F, bOff: number, ldb: number, transB: boolean,
  c: F, cOff: number, ldc: number, alpha: number,
  beta: number, scratch: GemmScratch, wasm?: 'simd' | 'relaxed',
): boolean {
  if (!usable() || m * n * k < MIN_MACS) return false;
  // Worker threads run the wasm kernels only on a shared heap.
  if (wasm && !heap?.shared) return false;
  const f64 = c instanceof Float64Array;
  if (a instanceof Float64Array !== f64 || b instanceof Float64Array !== f64) return false;
  // A browser pool starts here without waiting; products stay on this thread until it is ready.
  pool ??= startPool(wanted - 1);
  if (!pool || !poolReady(pool)) return false;
  const p = pool;
  const threads = p.workers.length + 1;
  const byCols = n >= m;
  const len = byCols ? n : m;
  // About four strips per thread, each a multiple of 24 (3×4 and 4×8 micro-tiles stay whole) and at least 24 wide.
  const step = Math.max(24, Math.ceil(len / (4 * threads) / 24) * 24, Math.ceil(len / MAX_STRIPS / 24) * 24);
  const strips = Math.ceil(len / step);
  if (strips < 2) return false;

  const bytes = f64 ? 8 : 4;
  const zero = beta === 0;
  // Operands the workers reach are used where they are; others go through dense copies they
  // reach (layouts and transposes kept), and C's strips computed by workers are copied back.
  const direct = reachable(a) && reachable(b) && reachable(c);
  let wa: F = a, wb: F = b, wc: F = c;
  let waOff = aOff, wbOff = bOff, wcOff = cOff, wlda = lda, wldb = ldb, wldc = ldc;
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  if (!direct) {
    if (wt) {
      p.sa = shared(p.sa, aRows * aCols * bytes);
      p.sb = shared(p.sb, bRows * bCols * bytes);
      p.sc = shared(p.sc, m * n * bytes);
      const view = (buf: SharedArrayBuffer): F => (f64 ? new Float64Array(buf) : new Float32Array(buf));
      [wa, wb, wc] = [view(p.sa), view(p.sb), view(p.sc)];
    } else {
      // Browser workers see only the heap: copies go there, or the product stays on this thread.
      const copies = heapCopies(p, [aRows * aCols * bytes, bRows * bCols * bytes, m * n * bytes], f64);
      if (!copies) return false;
      [wa, wb, wc] = copies;
    }
  }
  calls[direct ? 'inPlace' : 'copied']++;
  if (!zero) scaleRows(c, cOff, ldc, m, n, beta);
  if (!direct) {
    copyBlock(a, aOff, lda, aRows, aCols, wa, 0, aCols);
    copyBlock(b, bOff, ldb, bRows, bCols, wb, 0, bCols);
    if (!zero) copyBlock(c, cOff, ldc, m, n, wc, 0, n);
    [waOff, wbOff, wcOff, wlda, wldb, wldc] = [0, 0, 0, aCols, bCols, n];
  }
  const id = (x: F) => (wt ? bufferId(p, x.buffer as SharedArrayBuffer) : HEAP);
  const ida = id(wa), idb = id(wb), idc = id(wc);
  const elem = (x: F) => x.byteOffset / bytes;

  p.job.set([
    m, n, k, wlda, transA ? 1 : 0, wldb, transB ? 1 : 0, alpha, byCols ? 1 : 0, strips, step, f64 ? 1 : 0, zero ? 1 : 0,
    ida, idb, idc, elem(wa) + waOff, elem(wb) + wbOff, elem(wc) + wcOff, wldc, 0,
  ]);
  p.job[44] = wasm === 'relaxed' ? 2 : wasm === 'simd' ? 1 : 0;
  const resident = wasm ? residency(a, b, c) : 0;
  if (wasm) {
    // Which of the arrays the workers use live in the heap (the originals on the direct path;
    // copies: Node's are not, a browser's are); each worker gets a scratch block big enough for
    // its strips.
    p.job[45] = direct ? resident : residency(wa, wb, wc);
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
 * (nothing done) when it would not pay (`work`: scalars written in all), threads are off or not
 * started yet, or an array is out of the workers' reach (not in shared memory on Node, not in the
 * wasm heap in browsers). Each plane is written by exactly one thread, with the same
 * code as on one thread: the result does not depend on the thread count.
 */
export function parallelPlanes(task: number, planes: number, work: number, params: readonly number[], a0: F, a1: F, a2?: F, wasm?: { readonly variant: 'simd' | 'relaxed'; readonly scratchBytes: number }): boolean {
  if (!usable() || work < MIN_PLANE_WORK || planes < 2) return false;
  const arrays = [a0, a1, a2];
  const f64 = a0 instanceof Float64Array;
  if (!arrays.every((x) => x === undefined || (reachable(x) && x instanceof Float64Array === f64))) return false;
  pool ??= startPool(wanted - 1);
  if (!pool || !poolReady(pool)) return false;
  const p = pool;
  const threads = p.workers.length + 1;
  const chunk = Math.ceil(planes / (4 * threads));
  const chunks = Math.ceil(planes / chunk);
  p.job.fill(0);
  p.job[11] = f64 ? 1 : 0;
  p.job.set([1, task, chunks, chunk, planes], 20);
  arrays.forEach((x, i) => p.job.set(x ? [wt ? bufferId(p, x.buffer as SharedArrayBuffer) : HEAP, x.byteOffset, x.length] : [-1, 0, 0], 25 + 3 * i));
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
