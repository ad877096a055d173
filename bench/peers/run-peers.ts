// `pnpm bench --peers`: each selected workload on Hubel's CPU backend (through the workload's
// own setup and run, as `pnpm bench` times it), on TensorFlow.js's WebAssembly backend and on
// ONNX Runtime, the three interleaved run by run so that the host's drift hits all alike.
import { cpuKernels, kernelPeakGflops } from '@hubel/backend-cpu';
import { availableParallelism } from 'node:os';
import { setGemmThreads } from '@hubel/backend-cpu';
import type { Workload, WorkloadInstance } from '../workload.js';
import { reason, type PeerEngine, type PeerLoad, type PeerRun } from './engine.js';
import { loadOrt } from './ort.js';
import { loadTfjsWasm } from './tfjs-wasm.js';

/** The workloads `--peers` runs when `--only` does not choose. */
export const PEER_WORKLOADS: readonly string[] = ['W2-b8', 'W3', 'W4', 'W6', 'W7'];

/**
 * Outputs of a peer that differ from Hubel's by more than this (relative to the largest
 * magnitude of Hubel's output) void its timing: it did not compute the same thing. Float32
 * engines summing in different orders differ by ~1e-6 of that scale on these workloads
 * (tests/e2e/bench-peers.test.ts checks small versions of them at 2e-5).
 */
export const MAX_OUTPUT_ERROR = 1e-4;

/** Default for `--threads`: 2, or the machine's cores if fewer. */
export function defaultPeerThreads(): number {
  return Math.min(2, availableParallelism());
}

/** Loads both peers for `threads` threads; a peer that fails carries its reason instead. */
export async function loadPeers(threads: number): Promise<PeerLoad[]> {
  return [await loadTfjsWasm(threads), await loadOrt(threads)];
}

/** max |y − ref| / max |ref|: a peer's distance from Hubel's output, relative to its scale. */
export function maxRelativeError(ref: Float32Array, y: Float32Array): number {
  if (ref.length !== y.length) return Infinity;
  let scale = 0, err = 0;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]));
    const d = Math.abs(y[i] - ref[i]);
    // NaN anywhere makes the error NaN, never a pass.
    err = d > err || Number.isNaN(d) ? d : err;
  }
  return err / (scale || 1);
}

/** A workload set up on Hubel and on every peer that could take it. */
interface SetUp {
  readonly hubel: WorkloadInstance;
  readonly runs: Map<string, PeerRun>;
  /** Why a peer has no run, by key. */
  readonly reasons: Map<string, string>;
  dispose(): Promise<void>;
}

async function setUp(w: Workload, peers: readonly PeerLoad[], threads: number): Promise<SetUp> {
  // Hubel's GEMM (every conv and dense layer runs on it) on the same thread count as the peers.
  setGemmThreads(threads);
  const hubel = await w.setup();
  const runs = new Map<string, PeerRun>();
  const reasons = new Map<string, string>();
  for (const p of peers) {
    if (!('engine' in p)) reasons.set(p.key, p.error);
    else if (!hubel.peer) reasons.set(p.key, `workload ${w.id} gives no peer spec (WorkloadInstance.peer)`);
    else {
      try {
        runs.set(p.key, await p.engine.prepare(hubel.peer));
      } catch (e) {
        reasons.set(p.key, reason(e));
      }
    }
  }
  return {
    hubel,
    runs,
    reasons,
    async dispose() {
      for (const r of runs.values()) await r.dispose();
      await hubel.dispose?.();
    },
  };
}

/**
 * One forward pass of workload `w` on Hubel and on each peer, outputs in Hubel's layout: what
 * the parity test compares. A peer that cannot run the workload has its reason instead.
 */
export async function peerOutputs(w: Workload, peers: readonly PeerLoad[], threads = defaultPeerThreads()): Promise<{ hubel: Float32Array; peers: Record<string, Float32Array | { reason: string }> }> {
  const s = await setUp(w, peers, threads);
  try {
    if (!s.hubel.peer) throw new Error(`workload ${w.id} gives no peer spec`);
    const out: Record<string, Float32Array | { reason: string }> = {};
    for (const [k, why] of s.reasons) out[k] = { reason: why };
    for (const [k, r] of s.runs) out[k] = await r.output();
    return { hubel: await s.hubel.peer.output(), peers: out };
  } finally {
    await s.dispose();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number) => Number(x.toFixed(3));

/**
 * Times workload `w` on Hubel and the peers, interleaved (Hubel, TF.js, ORT, Hubel, ...) after
 * `warmup` untimed rounds, and returns its JSON line: `hubel_ms` and `<peer>_ms` (medians),
 * `hubel_vs_<peer>` = peer ms / Hubel ms (> 1: Hubel faster), each peer's output error against
 * Hubel's, thread counts, and for a peer that could not run, null and `<peer>_reason`.
 */
export async function benchPeers(w: Workload, peers: readonly PeerLoad[], o: { runs: number; threads: number; warmup?: number }): Promise<Record<string, unknown>> {
  const line: Record<string, unknown> = { id: w.id, name: w.name };
  let s: SetUp;
  try {
    s = await setUp(w, peers, o.threads);
  } catch (e) {
    return { ...line, error: `Hubel's setup failed: ${reason(e)}` };
  }
  try {
    const engines = peers.flatMap((p): PeerEngine[] => ('engine' in p ? [p.engine] : []));
    const times = new Map<string, number[]>([['hubel', []]]);
    for (const k of s.runs.keys()) times.set(k, []);
    const errors = new Map<string, number>();
    // The parity check (one untimed run each): a peer computing something else is not timed.
    if (s.hubel.peer) {
      const ref = await s.hubel.peer.output();
      for (const [k, r] of s.runs) {
        try {
          const err = maxRelativeError(ref, await r.output());
          errors.set(k, err);
          if (!(err <= MAX_OUTPUT_ERROR)) throw new Error(`its output differs from Hubel's by ${err.toExponential(2)} of the output's scale (limit ${MAX_OUTPUT_ERROR})`);
        } catch (e) {
          s.reasons.set(k, reason(e));
          await r.dispose();
          s.runs.delete(k);
          times.delete(k);
        }
      }
    }
    const round = async (timed: boolean) => {
      const t0 = performance.now();
      await s.hubel.run();
      if (timed) times.get('hubel')!.push(performance.now() - t0);
      for (const [k, r] of s.runs) {
        try {
          const t = performance.now();
          await r.run();
          if (timed) times.get(k)!.push(performance.now() - t);
        } catch (e) {
          s.reasons.set(k, `failed while running: ${reason(e)}`);
          await r.dispose();
          s.runs.delete(k);
          times.delete(k);
        }
      }
    };
    for (let i = 0; i < (w.warmup ?? o.warmup ?? 2); i++) await round(false);
    const runs = w.runs ?? o.runs;
    for (let i = 0; i < runs; i++) await round(true);

    const hubelMs = median(times.get('hubel')!);
    line.hubel_ms = ms(hubelMs);
    // Hubel's GFLOP/s as a fraction of the wasm micro-kernel's rate on cached panels × its
    // threads (kernelPeakGflops, measured now, in the same sitting).
    const bound = kernelPeakGflops(200);
    if (w.flops && bound) {
      line.hubel_gflops = Number((w.flops / (hubelMs * 1e6)).toFixed(2));
      line.kernel_peak_gflops = Number(bound.toFixed(2));
      line.hubel_of_bound = Number((w.flops / (hubelMs * 1e6) / (bound * (s.hubel.threads ?? 1))).toFixed(3));
    }
    line.hubel_kernels = cpuKernels();
    for (const p of peers) line[`${p.key}_ms`] = times.has(p.key) ? ms(median(times.get(p.key)!)) : null;
    for (const p of peers) line[`hubel_vs_${p.vs}`] = times.has(p.key) ? Number((median(times.get(p.key)!) / hubelMs).toFixed(3)) : null;
    line.threads = o.threads;
    line.hubel_threads = s.hubel.threads ?? 1;
    for (const e of engines) line[`${e.key}_threads`] = e.threads;
    for (const e of engines) Object.assign(line, e.facts);
    for (const [k, err] of errors) line[`${k}_max_err`] = Number(err.toExponential(2));
    for (const [k, why] of s.reasons) line[`${k}_reason`] = why;
    line.runs = runs;
    line.cores = availableParallelism();
    return line;
  } finally {
    await s.dispose();
  }
}

/**
 * The `--peers` mode of bench/run.ts: loads the peers (printing on stderr which engines and
 * builds run, or why a peer is missing), then prints one JSON line per workload on stdout.
 * `workloads` are the ones `--only` selected, or all of them, of which {@link PEER_WORKLOADS}
 * are then taken.
 */
export async function runPeers(workloads: readonly Workload[], o: { runs: number; threads: number; only: boolean }): Promise<void> {
  const selected = o.only ? workloads : PEER_WORKLOADS.map((id) => workloads.find((w) => w.id === id)).filter((w): w is Workload => w !== undefined);
  const peers = await loadPeers(o.threads);
  console.error(`peers, asked for ${o.threads} thread${o.threads === 1 ? '' : 's'}: Hubel CPU backend; ${peers.map((p) => ('engine' in p ? p.engine.label : `${p.label}: not loaded: ${p.error}`)).join('; ')}`);
  for (const p of peers) if ('engine' in p && typeof p.engine.facts.tfjs_build_why === 'string') console.error(`tfjs-backend-wasm runs its ${p.engine.facts.tfjs_build} build: ${p.engine.facts.tfjs_build_why}`);
  for (const w of selected) console.log(JSON.stringify(await benchPeers(w, peers, o)));
}
