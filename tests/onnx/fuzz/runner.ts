// The fuzz loop: worker threads run index ranges of mutants; the main thread watches the
// index each worker is on and stops (and replaces) a worker whose input runs past the time
// limit or that dies, recording that input as a failure. Used by `pnpm fuzz` and the test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildCorpus, type CorpusFile } from './corpus.js';
import { mutant, prepareCorpus } from './mutate.js';
import { addFailure, emptyTally, mergeTally, top, type TallyData } from './tally.js';
import { DEFAULT_LIMITS, type FuzzLimits, type InputResult } from './target.js';
import type { FailureReport, ProgressMessage, RangeRequest, WorkerInit } from './worker.js';

/** What to run. */
export interface FuzzOptions {
  readonly runs: number;
  readonly seed: number;
  /** First input index (default 0): `--start` shards one seed's inputs across machines. */
  readonly start?: number;
  /** Worker threads (default 1). With one, peak RSS is measured per input too. */
  readonly jobs?: number;
  readonly limits?: Partial<FuzzLimits>;
  /** Folder for failing inputs (SEED-INDEX.onnx and .json); undefined: not saved. */
  readonly outDir?: string;
  /** Progress and failure lines (default: none). */
  readonly log?: (line: string) => void;
  /** The corpus (default: buildCorpus()). */
  readonly files?: readonly CorpusFile[];
}

/** A failed input, as the summary lists it. */
export interface FuzzFailure {
  readonly index: number;
  readonly source: string;
  readonly mutations: readonly string[];
  readonly reasons: readonly string[];
  /** Where it was saved, when it was. */
  readonly file?: string;
}

/** What a run found (plain JSON). */
export interface FuzzSummary {
  readonly seed: number;
  readonly start: number;
  readonly runs: number;
  readonly jobs: number;
  readonly corpus: { readonly files: number; readonly zoo: readonly string[]; readonly conformance: number };
  readonly wallSeconds: number;
  readonly runsPerSecond: number;
  readonly limits: { readonly timeMsPerInput: number; readonly memory: string };
  /** Inputs that ended with a verdict (runs minus those stopped for time or a crash). */
  readonly inputsJudged: number;
  readonly importOutcomes: Readonly<Record<string, number>>;
  readonly inspectOutcomes: Readonly<Record<string, number>>;
  readonly importErrorKinds: readonly { kind: string; count: number }[];
  readonly inspectErrorKinds: readonly { kind: string; count: number }[];
  readonly distinctImportErrorKinds: number;
  /** HubelErrors naming a node (`node 'conv1' (Conv): …`) rather than the file. */
  readonly errorsNamingANodeNotTheFile: number;
  readonly timing: { readonly meanMs: number; readonly maxMs: number };
  /**
   * Largest growth per input (peak RSS, live ArrayBuffers, JS heap), and the largest growth of
   * what a worker retains after full garbage collections between its first and last range.
   */
  readonly memory: { readonly maxPeakRssGrowthMiB: number; readonly maxArrayBufferGrowthMiB: number; readonly maxHeapGrowthMiB: number; readonly retainedGrowthMiB: number };
  readonly failures: number;
  readonly failureKinds: Readonly<Record<string, number>>;
  /** The first failures (at most 50). */
  readonly failureList: readonly FuzzFailure[];
  readonly saved: string;
}

/** A worker thread running worker.ts under tsx (workers do not inherit the loader hooks), with src/ exports. */
function spawnWorker(init: WorkerInit): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: init, execArgv: ['--conditions=@hubel/source'], resourceLimits: { maxOldGenerationSizeMb: 2048 } });
}

function describe(r: InputResult): Record<string, unknown> {
  return { import: r.import, inspect: r.inspect, ms: Math.round(r.ms * 10) / 10, memory: r.memory };
}

/** Saves a failing input as DIR/SEED-INDEX.onnx, with a .json saying what it is and how to replay it. */
function saveFailure(dir: string, seed: number, f: { index: number; source: string; ops: readonly string[]; bytes: Uint8Array; reasons: readonly string[]; detail?: Record<string, unknown> }): string {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${seed}-${f.index}`);
  writeFileSync(`${base}.onnx`, f.bytes);
  const record = { seed, index: f.index, source: f.source, mutations: f.ops, bytes: f.bytes.length, reasons: f.reasons, ...f.detail, replay: `pnpm fuzz --seed ${seed} --only ${f.index}   (or: pnpm fuzz --replay ${base}.onnx)` };
  writeFileSync(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
  return `${base}.onnx`;
}

/** Runs inputs [start, start + runs) of `seed` and summarizes them. */
export async function runFuzz(o: FuzzOptions): Promise<{ summary: FuzzSummary; tally: TallyData }> {
  const t0 = performance.now();
  const files = o.files ?? (await buildCorpus());
  const corpus = prepareCorpus(files);
  const limits: FuzzLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, availableParallelism() * 2, o.runs));
  const log = o.log ?? (() => {});
  const first = o.start ?? 0;
  const end = first + o.runs;
  const total = emptyTally();
  const failureList: FuzzFailure[] = [];
  let saved = 0;
  const MAX_SAVED = 2000;
  const CHUNK = 250;
  let nextChunk = first;
  let lastReport = performance.now();
  let retainedGrowth = 0;
  /** Retained memory may grow this much over a run (a worker's lifetime) before it counts as a leak. */
  const RETAINED_LIMIT = 64 * 2 ** 20;
  log(`fuzz: seed ${o.seed}, ${o.runs} inputs from index ${first}, ${jobs} worker(s), ${corpus.length} corpus files (${files.filter((f) => f.group === 'zoo').length} zoo exports), limit ${limits.timeMs} ms per input`);

  const record = (f: { index: number; source: string; ops: readonly string[]; bytes: Uint8Array; reasons: readonly string[]; detail?: Record<string, unknown> }) => {
    log(`FAIL #${f.index} ${f.source} [${f.ops.join('; ')}]: ${f.reasons.join(' | ').slice(0, 400)}`);
    const file = o.outDir && saved < MAX_SAVED ? saveFailure(o.outDir, o.seed, f) : undefined;
    if (file) saved++;
    if (failureList.length < 50) failureList.push({ index: f.index, source: f.source, mutations: f.ops, reasons: f.reasons, ...(file ? { file } : {}) });
  };

  // One slot per job: a worker, the range it runs and how far it got.
  const runSlot = (slot: number) =>
    new Promise<void>((done, fail) => {
      let range: { start: number; end: number; skip: number[] } | undefined;
      let worker: Worker | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const takeChunk = (): boolean => {
        if (nextChunk >= end) return false;
        range = { start: nextChunk, end: Math.min(end, nextChunk + CHUNK), skip: [] };
        nextChunk = range.end;
        return true;
      };
      const send = () => worker!.postMessage({ start: range!.start, end: range!.end, skip: range!.skip } satisfies RangeRequest);
      const stop = async (index: number, reason: string) => {
        // The input at `index` hung or killed the worker: record it, and run the rest of the
        // range (from just after the last input it reported) in a new worker.
        const w = worker!;
        worker = undefined;
        clearInterval(watchdog);
        w.removeAllListeners('message');
        w.removeAllListeners('error');
        w.removeAllListeners('exit');
        w.on('error', () => {});
        await Promise.race([w.terminate(), new Promise((r) => setTimeout(r, 10_000))]);
        const m = mutant(corpus, o.seed, index);
        addFailure(total, [reason]);
        record({ index, source: m.source, ops: m.ops, bytes: m.bytes, reasons: [reason] });
        range!.skip.push(index);
        start();
      };
      const start = () => {
        const shared = new SharedArrayBuffer(16);
        const current = new Int32Array(shared, 0, 1);
        const since = new Float64Array(shared, 8, 1);
        current[0] = -1;
        const w = spawnWorker({ files, seed: o.seed, limits, peakRss: jobs === 1, shared });
        worker = w;
        let baseline: { heapUsed: number; arrayBuffers: number } | undefined;
        w.on('message', (msg: ProgressMessage) => {
          mergeTally(total, msg.tally);
          if (msg.retained) {
            baseline ??= msg.retained;
            retainedGrowth = Math.max(retainedGrowth, msg.retained.heapUsed - baseline.heapUsed + msg.retained.arrayBuffers - baseline.arrayBuffers);
          }
          for (const f of msg.failures as FailureReport[]) record({ index: f.index, source: f.source, ops: f.ops, bytes: f.bytes, reasons: f.result.failures, detail: describe(f.result) });
          range!.start = msg.doneThrough + 1;
          if (performance.now() - lastReport > 10_000) {
            lastReport = performance.now();
            const s = (performance.now() - t0) / 1000;
            log(`fuzz: ${total.inputs} inputs, ${total.failures} failures, ${(total.inputs / s).toFixed(0)}/s`);
          }
          if (!msg.rangeDone) return;
          if (takeChunk()) send();
          else {
            clearInterval(watchdog);
            worker = undefined;
            void w.terminate().then(() => done());
          }
        });
        w.on('error', (e) => {
          const i = Atomics.load(current, 0);
          if (i < 0) {
            clearInterval(watchdog);
            fail(e);
            return;
          }
          void stop(i, `crash: the worker died running this input: ${(e as Error).name}: ${(e as Error).message}`.slice(0, 500));
        });
        w.on('exit', (code) => {
          if (worker === w) {
            clearInterval(watchdog);
            fail(new Error(`fuzz worker ${slot} exited (code ${code}) without finishing its range`));
          }
        });
        watchdog = setInterval(() => {
          const i = Atomics.load(current, 0);
          if (i >= 0 && worker === w && Date.now() - since[0] > limits.timeMs) void stop(i, `timeout: still running after ${limits.timeMs} ms (worker stopped)`);
        }, 50);
        send();
      };
      if (takeChunk()) start();
      else done();
    });
  await Promise.all(Array.from({ length: jobs }, (_, k) => runSlot(k)));

  if (retainedGrowth > RETAINED_LIMIT) {
    const reason = `leak: a worker retained ${(retainedGrowth / 2 ** 20).toFixed(1)} MiB more after its last range than after its first (limit ${RETAINED_LIMIT / 2 ** 20} MiB)`;
    addFailure(total, [reason]);
    log(`FAIL (whole run): ${reason}`);
    if (failureList.length < 50) failureList.push({ index: -1, source: 'whole run', mutations: [], reasons: [reason] });
  }
  const wall = (performance.now() - t0) / 1000;
  const summary: FuzzSummary = {
    seed: o.seed,
    start: first,
    runs: o.runs,
    jobs,
    corpus: { files: corpus.length, zoo: files.filter((f) => f.group === 'zoo').map((f) => `${f.name} (${f.bytes.length} bytes)`), conformance: files.filter((f) => f.group === 'conformance').length },
    wallSeconds: Math.round(wall * 10) / 10,
    runsPerSecond: Math.round((total.inputs / wall) * 10) / 10,
    limits: { timeMsPerInput: limits.timeMs, memory: `${limits.memoryBaseBytes / 2 ** 20} MiB + ${limits.memoryPerByte} × file bytes (peak RSS${jobs === 1 ? '' : ': not measured with several workers'}, ArrayBuffers, JS heap)` },
    inputsJudged: total.inputs,
    importOutcomes: total.importOutcomes,
    inspectOutcomes: total.inspectOutcomes,
    importErrorKinds: top(total.importKinds, 40),
    inspectErrorKinds: top(total.inspectKinds, 15),
    distinctImportErrorKinds: Object.keys(total.importKinds).length,
    errorsNamingANodeNotTheFile: total.errorsWithoutFileName,
    timing: { meanMs: Math.round((total.totalMs / Math.max(1, total.inputs)) * 100) / 100, maxMs: Math.round(total.maxMs) },
    memory: { maxPeakRssGrowthMiB: +(total.maxPeakRss / 2 ** 20).toFixed(1), maxArrayBufferGrowthMiB: +(total.maxArrayBuffers / 2 ** 20).toFixed(1), maxHeapGrowthMiB: +(total.maxHeapUsed / 2 ** 20).toFixed(1), retainedGrowthMiB: +(retainedGrowth / 2 ** 20).toFixed(1) },
    failures: total.failures,
    failureKinds: total.failureKinds,
    failureList,
    saved: saved ? `${saved} input(s) under ${o.outDir}${total.failures > saved ? ` (the first ${saved})` : ''}` : 'none',
  };
  return { summary, tally: total };
}
