// A fuzz worker thread: runs the inputs of the index ranges the main thread sends, publishing
// the index it is on (and since when) in shared memory, so that the main thread can stop it
// when one input takes too long and know which input that was.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { mutant, prepareCorpus } from './mutate.js';
import { addResult, emptyTally, type TallyData } from './tally.js';
import { createTarget, runInput, type FuzzLimits, type InputResult } from './target.js';

/** What the main thread gives a worker at start. */
export interface WorkerInit {
  readonly files: readonly { name: string; group: 'zoo' | 'conformance'; bytes: Uint8Array }[];
  readonly seed: number;
  readonly limits: FuzzLimits;
  /** Measure peak RSS per input (only when this is the only worker in the process). */
  readonly peakRss: boolean;
  /** Int32 [0]: index being run (-1 when idle); Float64 at byte 8: Date.now() when it started. */
  readonly shared: SharedArrayBuffer;
}

/** A range of input indices to run, with indices to leave out (inputs that hung or crashed before). */
export interface RangeRequest {
  readonly start: number;
  readonly end: number;
  readonly skip: readonly number[];
}

/** A failed input as reported to the main thread. */
export interface FailureReport {
  readonly index: number;
  readonly source: string;
  readonly ops: readonly string[];
  readonly bytes: Uint8Array;
  readonly result: InputResult;
}

/** Worker → main: counts of the inputs (previous doneThrough, doneThrough], and their failures. */
export interface ProgressMessage {
  readonly type: 'progress';
  readonly doneThrough: number;
  readonly tally: TallyData;
  readonly failures: readonly FailureReport[];
  readonly rangeDone: boolean;
  /** At the end of a range: what stays allocated after a full garbage collection (bytes). */
  readonly retained?: { readonly heapUsed: number; readonly arrayBuffers: number };
}

/** What stays allocated in this thread after full garbage collections. */
function retainedMemory(): { heapUsed: number; arrayBuffers: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

if (parentPort) {
  const port = parentPort;
  const init = workerData as WorkerInit;
  const corpus = prepareCorpus(init.files);
  const target = createTarget({ limits: init.limits, peakRss: init.peakRss });
  const current = new Int32Array(init.shared, 0, 1);
  const since = new Float64Array(init.shared, 8, 1);
  port.on('message', (req: RangeRequest) => {
    const skip = new Set(req.skip);
    let tally = emptyTally();
    let failures: FailureReport[] = [];
    let last = performance.now();
    const flush = (doneThrough: number, rangeDone: boolean) => {
      const msg: ProgressMessage = { type: 'progress', doneThrough, tally, failures, rangeDone, ...(rangeDone ? { retained: retainedMemory() } : {}) };
      port.postMessage(msg);
      tally = emptyTally();
      failures = [];
      last = performance.now();
    };
    for (let i = req.start; i < req.end; i++) {
      if (skip.has(i)) continue;
      const m = mutant(corpus, init.seed, i);
      since[0] = Date.now();
      Atomics.store(current, 0, i);
      const result = runInput(target, m.bytes);
      Atomics.store(current, 0, -1);
      addResult(tally, result);
      if (result.failures.length) failures.push({ index: i, source: m.source, ops: m.ops, bytes: m.bytes, result });
      if (failures.length || performance.now() - last > 250) flush(i, false);
    }
    flush(req.end - 1, true);
  });
}
