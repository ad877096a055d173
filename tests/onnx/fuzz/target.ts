// What the fuzzer feeds each mutated file to, and how an outcome is judged: importOnnx on
// the CPU backend with every layer plugin (and, for a model, the layer table `hubel inspect`
// prints), and inspectOnnx (io's description, which `hubel inspect` prints first).
// A model or a HubelError is fine; anything else, a slow input, a memory jump or backend
// tensors left live after the model is disposed (or after a failed import) is a failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, type Backend, type Model, type Plugin } from '@hubel/core';
import { importOnnx, inspectOnnx } from '@hubel/io';
import * as activation from '@hubel/layers-activation';
import * as conv from '@hubel/layers-conv';
import * as dense from '@hubel/layers-dense';
import * as loss from '@hubel/layers-loss';
import * as norm from '@hubel/layers-norm';
import * as pool from '@hubel/layers-pool';
import * as tensor from '@hubel/layers-tensor';
import { formatLayerTable, layerTable } from '@hubel/models';

const isPlugin = (v: unknown): v is Plugin => typeof v === 'object' && v !== null && 'name' in v && ('layers' in v || 'kernels' in v);

/** Every layer plugin the packages export (found by shape, as the ONNX suites find them). */
export const fuzzPlugins: readonly Plugin[] = [dense, activation, loss, conv, pool, norm, tensor].flatMap((m) => Object.values(m).filter(isPlugin));

/** A registry with the CPU backend and every layer plugin. */
export function fuzzRegistry(): Registry {
  return new Registry().use(cpuBackend, ...fuzzPlugins);
}

/** The name mutated files carry in error messages (errors must name it). */
export const FUZZ_FILE = 'fuzz-input.onnx';

/**
 * Limits one input must stay within. Memory: while one file of B bytes is imported and
 * inspected, neither the peak resident set (where Linux lets us measure it) nor live
 * ArrayBuffer bytes nor the JS heap may grow by more than `memoryBaseBytes + memoryPerByte·B`.
 * A valid file's tensors are inside its B bytes (raw data is checked against the declared
 * shape before anything is allocated), so this bounds what a header can make us allocate.
 */
export interface FuzzLimits {
  readonly timeMs: number;
  readonly memoryBaseBytes: number;
  readonly memoryPerByte: number;
}

/** Defaults: 2 s per input; 96 MiB plus 24 bytes per input byte. */
export const DEFAULT_LIMITS: FuzzLimits = { timeMs: 2000, memoryBaseBytes: 96 * 2 ** 20, memoryPerByte: 24 };

/** How one of the two entry points ended. */
export interface StepOutcome {
  /** 'model' / 'text' for success, else the error's class and code, e.g. 'HubelError(format)'. */
  readonly cls: string;
  /** Normalized message (quoted names and numbers blanked) for grouping; '' on success. */
  readonly kind: string;
  /** True for a model, a text, or a HubelError. */
  readonly ok: boolean;
  readonly message?: string;
  readonly stack?: string;
  /** For HubelErrors: whether the message names the file. */
  readonly namesFile?: boolean;
}

/** Measured memory growth of one input (bytes). */
export interface MemoryGrowth {
  readonly peakRss?: number;
  readonly arrayBuffers: number;
  readonly heapUsed: number;
}

/** The verdict on one input. */
export interface InputResult {
  readonly import: StepOutcome;
  readonly inspect: StepOutcome;
  readonly ms: number;
  readonly memory: MemoryGrowth;
  /** Empty when the input passed; else why it failed ('exception in import: TypeError …', 'memory …', 'leak …', 'slow …'). */
  readonly failures: readonly string[];
}

/** Blanks what varies between inputs in an error message so that messages group by kind. */
export function messageKind(message: string, file = FUZZ_FILE): string {
  return message
    .split(file).join('FILE')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\([^()]*\)/g, '(…)')
    .replace(/\[[^\]]*\]/g, '[…]')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 120);
}

/** Classifies what an entry point threw. */
export function classify(e: unknown, file = FUZZ_FILE): StepOutcome {
  if (e instanceof HubelError) {
    return { cls: `${e.name}(${e.code})`, kind: messageKind(e.message, file), ok: true, message: e.message, namesFile: e.message.includes(file) };
  }
  const err = e instanceof Error ? e : undefined;
  const cls = err ? err.name || err.constructor?.name || 'Error' : `thrown ${typeof e}`;
  const message = err ? err.message : String(e);
  return { cls, kind: messageKind(message, file), ok: false, message, stack: err?.stack };
}

/**
 * Peak resident set since the last reset, from Linux's /proc/self/status VmHWM (reset by
 * writing 5 to /proc/self/clear_refs). Undefined where that is not available. It covers the
 * whole process, so it is meaningful only while one input runs at a time in the process.
 */
export class PeakRss {
  readonly available: boolean;
  constructor(enable = true) {
    let ok = false;
    if (enable && process.platform === 'linux') {
      try {
        writeFileSync('/proc/self/clear_refs', '5');
        ok = this.#read() !== undefined;
      } catch {
        ok = false;
      }
    }
    this.available = ok;
  }
  #read(): number | undefined {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'latin1'));
    return m ? Number(m[1]) * 1024 : undefined;
  }
  /** Starts a new measurement window. */
  reset(): void {
    if (this.available) writeFileSync('/proc/self/clear_refs', '5');
  }
  /** The peak resident set since `reset` (bytes). */
  read(): number | undefined {
    return this.available ? this.#read() : undefined;
  }
}

/** What runs the inputs: a registry, a CPU backend and a peak-memory probe. */
export interface FuzzTarget {
  readonly registry: Registry;
  readonly backend: Backend;
  readonly peak: PeakRss;
  readonly limits: FuzzLimits;
}

/** A target with the full registry on a fresh CPU backend. `peakRss: false` when other threads run inputs in this process. */
export function createTarget(o: { limits?: Partial<FuzzLimits>; peakRss?: boolean } = {}): FuzzTarget {
  const registry = fuzzRegistry();
  return { registry, backend: createCpuBackend(), peak: new PeakRss(o.peakRss ?? true), limits: { ...DEFAULT_LIMITS, ...o.limits } };
}

const OK_IMPORT: StepOutcome = { cls: 'model', kind: '', ok: true };
const OK_INSPECT: StepOutcome = { cls: 'text', kind: '', ok: true };

/** Feeds `bytes` to importOnnx and inspectOnnx and judges the outcome. */
export function runInput(t: FuzzTarget, bytes: Uint8Array): InputResult {
  const live0 = t.backend.stats().liveTensors;
  const m0 = process.memoryUsage();
  t.peak.reset();
  const t0 = performance.now();
  let imp: StepOutcome = OK_IMPORT;
  let model: Model | undefined;
  try {
    const m = importOnnx(bytes, { registry: t.registry, backend: t.backend, file: FUZZ_FILE });
    model = m;
    // `hubel inspect FILE` prints this table of the imported model after io's description.
    formatLayerTable(layerTable(m));
  } catch (e) {
    imp = classify(e);
  }
  let ins: StepOutcome = OK_INSPECT;
  try {
    const text = inspectOnnx(bytes, FUZZ_FILE);
    if (typeof text !== 'string') ins = { cls: `returned ${typeof text}`, kind: '', ok: false };
  } catch (e) {
    ins = classify(e);
  }
  const ms = performance.now() - t0;
  const m1 = process.memoryUsage();
  const peak = t.peak.read();
  model?.dispose();
  const leaked = t.backend.stats().liveTensors - live0;
  const memory: MemoryGrowth = { peakRss: peak === undefined ? undefined : Math.max(0, peak - m0.rss), arrayBuffers: m1.arrayBuffers - m0.arrayBuffers, heapUsed: m1.heapUsed - m0.heapUsed };
  const failures: string[] = [];
  if (!imp.ok) failures.push(`exception in importOnnx: ${imp.cls}: ${imp.message}`);
  if (!ins.ok) failures.push(`exception in inspectOnnx: ${ins.cls}: ${ins.message}`);
  const bound = t.limits.memoryBaseBytes + t.limits.memoryPerByte * bytes.length;
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  for (const [what, v] of [['peak RSS', memory.peakRss], ['ArrayBuffer bytes', memory.arrayBuffers], ['JS heap', memory.heapUsed]] as const) {
    if (v !== undefined && v > bound) failures.push(`memory: ${what} grew by ${mib(v)} for a ${bytes.length}-byte file (bound ${mib(bound)})`);
  }
  // A failed import must not leave tensors behind on the backend (nor a disposed model).
  if (leaked !== 0) failures.push(`leak: ${leaked} backend tensor(s) still live after the ${model ? 'model was disposed' : 'import failed'}`);
  if (ms > t.limits.timeMs) failures.push(`slow: ${ms.toFixed(0)} ms (limit ${t.limits.timeMs} ms)`);
  return { import: imp, inspect: ins, ms, memory, failures };
}
