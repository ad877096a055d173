// `pnpm bench:browser`: training speed of the Fashion convnet (bench/ workload M1, batch 64) in
// headless Chromium, in a Web Worker as the playground trains: the CPU backend on each kernel
// path it has there on one thread, the WebAssembly paths again on 2 threads (the GEMM workers,
// Web Workers started by the backend), and WebGPU (on a machine without a GPU, Chromium's
// SwiftShader: a software renderer, not a GPU); then a 1024³ GEMM (bench/'s W4) on 1 and 2
// threads, where the threads' share of the work is largest. Prints a table and one JSON line per
// configuration. Options: --cpu-steps N, --gpu-steps N, --runs N, --no-webgpu.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import type { BenchRequest, BenchResult } from './bench/bench-worker.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, ISOLATION_HEADERS, chromiumMissing } from './chromium.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${name} needs a positive integer, found '${process.argv[i + 1]}'`);
  return v;
}

const missing = chromiumMissing();
if (missing) {
  console.error(`bench:browser: ${missing}`);
  process.exit(1);
}
const runs = flag('runs', 3);
const requests: BenchRequest[] = [
  ...(['relaxed', 'simd', 'ts'] as const).map((kernels) => ({ backend: 'cpu' as const, kernels, threads: 1, batch: 64, warmup: 2, steps: flag('cpu-steps', 10), runs })),
  ...(['relaxed', 'simd'] as const).map((kernels) => ({ backend: 'cpu' as const, kernels, threads: 2, batch: 64, warmup: 2, steps: flag('cpu-steps', 10), runs })),
  ...(process.argv.includes('--no-webgpu') ? [] : [{ backend: 'webgpu' as const, batch: 64, warmup: 1, steps: flag('gpu-steps', 2), runs }]),
  ...[1, 2].map((threads) => ({ workload: 'W4' as const, backend: 'cpu' as const, kernels: 'relaxed' as const, threads, batch: 0, warmup: 3, steps: 10, runs })),
];

const root = fileURLToPath(new URL('./bench/', import.meta.url));
const conditions = ['@hubel/source', 'browser', 'import', 'module', 'default'];
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  resolve: { conditions, alias: [{ find: /^fs$/, replacement: fileURLToPath(new URL('./no-fs.ts', import.meta.url)) }] },
  server: { host: '127.0.0.1', port: 0, headers: { ...ISOLATION_HEADERS } },
  worker: { format: 'es' },
  optimizeDeps: { entries: ['bench-worker.ts', 'bench-page.ts'] },
  esbuild: { target: 'es2022' },
});
await server.listen();
const url = server.resolvedUrls!.local[0];
const profile = mkdtempSync(join(tmpdir(), 'hubel-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
let results: BenchResult[] = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const version = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? 'unknown'));
  await page.goto(`${url}?runs=${encodeURIComponent(JSON.stringify(requests))}`);
  const gpuInfo = await page.evaluate(async () => {
    const a = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture} (fallback adapter: ${a.info.isFallbackAdapter})` : 'none';
  });
  await page.waitForFunction(() => window.__bench?.done === true, null, { timeout: 0 });
  const state = await page.evaluate(() => window.__bench!);
  if (state.error) throw new Error(`benchmark page: ${state.error}`);
  results = state.results;
  console.log(`Chromium ${version} (headless, ${CHROMIUM_PATH}); WebGPU adapter: ${gpuInfo}; cross-origin isolated: ${results.every((r) => r.crossOriginIsolated)}`);
  console.log('Fashion convnet training step (bench/ M1: batch 64 of 1×28×28, SGD momentum), in a Web Worker:');
  for (const r of results.filter((r) => r.workload === 'M1')) {
    const what = r.kernels ? `CPU, ${r.kernels === 'ts' ? 'TypeScript' : `wasm ${r.kernels}`}, ${r.threads === 1 ? '1 thread' : `${r.threads} threads (workers)`}` : `WebGPU${r.software ? ' (software renderer)' : ''}`;
    const shared = r.threadedPerStep && r.threads > 1 ? `; per step ${r.threadedPerStep.products} products and ${r.threadedPerStep.planeTasks} Winograd transforms shared by the threads` : '';
    console.log(`  ${what.padEnd(40)} ${r.imagesPerSecond!.toFixed(1).padStart(8)} images/s   (${r.runs.map((v) => v.toFixed(1)).join(', ')} over ${r.runs.length} runs of ${r.steps} steps; ${r.backend}${shared})`);
  }
  const gemms = results.filter((r) => r.workload === 'W4');
  if (gemms.length > 0) console.log('GEMM 1024×1024×1024 float32 on backend tensors (bench/ W4), in a Web Worker:');
  for (const r of gemms) {
    const what = `CPU, wasm ${r.kernels}, ${r.threads === 1 ? '1 thread' : `${r.threads} threads (workers)`}`;
    console.log(`  ${what.padEnd(40)} ${r.gflops!.toFixed(1).padStart(8)} GFLOP/s    (${r.runs.map((v) => v.toFixed(1)).join(', ')} over ${r.runs.length} runs of ${r.steps} products; ${r.backend})`);
  }
  for (const r of results) console.log(JSON.stringify({ ...r, workload: `browser-${r.workload}`, chromium: version }));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  await server.close();
}
