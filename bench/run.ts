/**
 * `pnpm bench [--only W2,W5] [--runs N]`: runs every workload in bench/workloads/ and
 * prints one JSON object per line: id, median_ms, gflops (when the workload counts FLOPs),
 * images_per_s / examples_per_s (when it counts examples), runs, threads, backend.
 *
 * `pnpm bench --peers [--only W2-b8,W4] [--runs N] [--threads T]`: the same workloads (by
 * default W2-b8, W3, W4, W6, W7) on Hubel's CPU backend, TensorFlow.js's WebAssembly backend
 * and ONNX Runtime, interleaved run by run, on T threads each (default 2, or the cores if
 * fewer); one JSON line per workload: hubel_ms, tfjs_wasm_ms, ort_ms (medians), hubel_vs_tfjs
 * and hubel_vs_ort (the peer's ms / Hubel's ms: above 1, Hubel is faster), each engine's
 * threads, the TF.js build that ran (tfjs_build; on Node its SIMD build on one thread, see
 * tfjs_build_why), each peer's output error against Hubel's, and null with `<peer>_reason`
 * for a peer that could not run. See bench/peers/run-peers.ts.
 *
 * `pnpm bench` runs the compiled JavaScript (bench/dist, packages' dist) on plain Node, as a
 * user's program runs the published packages. Not under tsx: with tsx's loader in the process,
 * V8 stops trusting that no ArrayBuffer is ever detached and checks every typed-array access
 * (measured 6–14% slower; see packages/backend-cpu/README.md). This file also runs
 * from source (`node --import tsx bench/run.ts`), with that cost.
 */
import { cpuKernels, kernelPeakGflops } from '@hubel/backend-cpu';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Workload } from './workload.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = flag('--only')?.split(',').map((s) => s.trim().toUpperCase());
const runs = Number(flag('--runs') ?? 5);
if (!(Number.isInteger(runs) && runs >= 1)) {
  console.error(`--runs must be a positive integer, found ${flag('--runs')}`);
  process.exit(2);
}
const peers = args.includes('--peers');
const threads = Number(flag('--threads') ?? Math.min(2, availableParallelism()));
if (!(Number.isInteger(threads) && threads >= 1)) {
  console.error(`--threads must be a positive integer, found ${flag('--threads')}`);
  process.exit(2);
}

const dir = join(dirname(fileURLToPath(import.meta.url)), 'workloads');
const workloads: Workload[] = [];
for (const f of readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).sort()) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { workloads?: Workload[] };
  workloads.push(...(mod.workloads ?? []));
}
const selected = workloads.filter((w) => !only || only.includes(w.id.toUpperCase()) || only.includes(w.id.split('-')[0].toUpperCase()));
if (only && selected.length === 0) {
  console.error(`no workload matches --only ${only.join(',')} (known: ${workloads.map((w) => w.id).join(', ')})`);
  process.exit(2);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (peers) await (await import('./peers/run-peers.js')).runPeers(selected, { runs, threads, only: only !== undefined });

for (const w of peers ? [] : selected) {
  let inst;
  try {
    inst = await w.setup();
  } catch (e) {
    console.log(JSON.stringify({ id: w.id, name: w.name, error: (e as Error).message }));
    continue;
  }
  for (let i = 0; i < (w.warmup ?? 2); i++) await inst.run();
  // The bound, measured just before this workload (the host's speed drifts): the wasm
  // micro-kernel's GFLOP/s on cached panels, one thread (kernelPeakGflops).
  const cpu = (inst.backend ?? 'cpu').toLowerCase().startsWith('cpu');
  const bound = cpu && w.flops ? kernelPeakGflops(200) : undefined;
  const times: number[] = [];
  for (let i = 0; i < (w.runs ?? runs); i++) {
    const t0 = performance.now();
    await inst.run();
    times.push(performance.now() - t0);
  }
  await inst.dispose?.();
  const ms = median(times);
  const out: Record<string, unknown> = { id: w.id, name: w.name, median_ms: Number(ms.toFixed(3)) };
  if (w.flops) out.gflops = Number((w.flops / (ms * 1e6)).toFixed(3));
  if (w.images) out.images_per_s = Number(((w.images * 1000) / ms).toFixed(1));
  if (w.examples) out.examples_per_s = Number(((w.examples * 1000) / ms).toFixed(1));
  if (bound && w.flops) {
    out.kernel_peak_gflops = Number(bound.toFixed(2));
    out.of_bound = Number((w.flops / (ms * 1e6) / (bound * (inst.threads ?? 1))).toFixed(3));
  }
  if (cpu) out.kernels = cpuKernels();
  out.runs = times.length;
  out.min_ms = Number(Math.min(...times).toFixed(3));
  out.threads = inst.threads ?? 1;
  out.backend = inst.backend ?? 'cpu';
  out.cores = availableParallelism();
  console.log(JSON.stringify(out));
}
