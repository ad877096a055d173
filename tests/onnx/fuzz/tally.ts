// Outcome counts of a fuzz run, mergeable across workers and restarts.
import type { InputResult } from './target.js';

/** Plain-data counts (what workers post and the summary prints). */
export interface TallyData {
  inputs: number;
  /** importOnnx outcome class → count ('model', 'HubelError(format)', 'UnsupportedOnnxError(unknown-layer)', …). */
  importOutcomes: Record<string, number>;
  /** inspectOnnx outcome class → count ('text', 'HubelError(format)', …). */
  inspectOutcomes: Record<string, number>;
  /** importOnnx outcome class and normalized message → count. */
  importKinds: Record<string, number>;
  /** inspectOnnx outcome class and normalized message → count. */
  inspectKinds: Record<string, number>;
  /** HubelErrors whose message does not contain the file name (they name a node instead). */
  errorsWithoutFileName: number;
  /** Failed inputs (counted once each, whatever the number of reasons). */
  failures: number;
  /** Failure reason kind ('exception', 'memory', 'slow', 'timeout', 'crash') → count. */
  failureKinds: Record<string, number>;
  totalMs: number;
  maxMs: number;
  maxPeakRss: number;
  maxArrayBuffers: number;
  maxHeapUsed: number;
}

/** An empty tally. */
export function emptyTally(): TallyData {
  return {
    inputs: 0, importOutcomes: {}, inspectOutcomes: {}, importKinds: {}, inspectKinds: {}, errorsWithoutFileName: 0,
    failures: 0, failureKinds: {}, totalMs: 0, maxMs: 0, maxPeakRss: 0, maxArrayBuffers: 0, maxHeapUsed: 0,
  };
}

const bump = (m: Record<string, number>, k: string, n = 1) => {
  m[k] = (m[k] ?? 0) + n;
};

/** The kind of a failure reason string ('exception in importOnnx: …' → 'exception'). */
export const failureKind = (reason: string): string => reason.split(/[\s:]/, 1)[0];

/** Counts one judged input. */
export function addResult(t: TallyData, r: InputResult): void {
  t.inputs++;
  bump(t.importOutcomes, r.import.cls);
  bump(t.inspectOutcomes, r.inspect.cls);
  if (r.import.kind) bump(t.importKinds, `${r.import.cls}: ${r.import.kind}`);
  if (r.inspect.kind) bump(t.inspectKinds, `${r.inspect.cls}: ${r.inspect.kind}`);
  if (r.import.namesFile === false) t.errorsWithoutFileName++;
  if (r.inspect.namesFile === false) t.errorsWithoutFileName++;
  t.totalMs += r.ms;
  t.maxMs = Math.max(t.maxMs, r.ms);
  t.maxPeakRss = Math.max(t.maxPeakRss, r.memory.peakRss ?? 0);
  t.maxArrayBuffers = Math.max(t.maxArrayBuffers, r.memory.arrayBuffers);
  t.maxHeapUsed = Math.max(t.maxHeapUsed, r.memory.heapUsed);
  if (r.failures.length) addFailure(t, r.failures);
}

/** Counts one failed input (also inputs that never produced a result: timeouts, crashes). */
export function addFailure(t: TallyData, reasons: readonly string[]): void {
  t.failures++;
  for (const k of new Set(reasons.map(failureKind))) bump(t.failureKinds, k);
}

/** Adds `b` into `a`. */
export function mergeTally(a: TallyData, b: TallyData): void {
  a.inputs += b.inputs;
  for (const key of ['importOutcomes', 'inspectOutcomes', 'importKinds', 'inspectKinds', 'failureKinds'] as const) for (const [k, n] of Object.entries(b[key])) bump(a[key], k, n);
  a.errorsWithoutFileName += b.errorsWithoutFileName;
  a.failures += b.failures;
  a.totalMs += b.totalMs;
  a.maxMs = Math.max(a.maxMs, b.maxMs);
  a.maxPeakRss = Math.max(a.maxPeakRss, b.maxPeakRss);
  a.maxArrayBuffers = Math.max(a.maxArrayBuffers, b.maxArrayBuffers);
  a.maxHeapUsed = Math.max(a.maxHeapUsed, b.maxHeapUsed);
}

/** The `n` most frequent entries of a count map, most frequent first. */
export function top(m: Record<string, number>, n: number): { kind: string; count: number }[] {
  return Object.entries(m)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, n)
    .map(([kind, count]) => ({ kind, count }));
}
