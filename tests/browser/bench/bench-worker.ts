// One benchmark configuration, in a Web Worker as the playground trains: the Fashion convnet's
// training step at batch 64 (bench/ workload M1: forward with softmax cross-entropy, backward,
// SGD with momentum) on the CPU backend with a given kernel path and thread count, or on WebGPU;
// or (W4) a 1024³ float32 GEMM on CPU backend tensors, as bench/'s W4.
import { createCpuBackend, gemmThreads, gemmThreadsReady, gemmThreadStats, setGemmThreads, type CpuKernels } from '@hubel/backend-cpu';
import { createWebGpuBackend, type WebGpuBackend } from '@hubel/backend-webgpu';
import { Sgd, type Backend } from '@hubel/core';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { fashionNet, zooRegistry } from '@hubel/models';

/** What the page asks for. */
export interface BenchRequest {
  /** M1 (default): the training step; W4: C = A·B, 1024×1024 float32 (CPU only). */
  readonly workload?: 'M1' | 'W4';
  readonly backend: 'cpu' | 'webgpu';
  readonly kernels?: CpuKernels;
  /** CPU: threads for large products (setGemmThreads; more than 1 starts the GEMM workers). */
  readonly threads?: number;
  readonly batch: number;
  readonly warmup: number;
  readonly steps: number;
  readonly runs: number;
}

/** One configuration's measurement. */
export interface BenchResult {
  readonly workload: 'M1' | 'W4';
  readonly backend: string;
  readonly software: boolean;
  readonly kernels: string | null;
  readonly threads: number;
  readonly batch: number;
  readonly steps: number;
  /** M1: median over runs of images per second (W4: null). */
  readonly imagesPerSecond: number | null;
  /** W4: median over runs of GFLOP/s (M1: null). */
  readonly gflops: number | null;
  /** Every run's images per second (M1) or GFLOP/s (W4). */
  readonly runs: readonly number[];
  readonly crossOriginIsolated: boolean;
  /** CPU: products and Winograd plane tasks per step that the GEMM workers shared (gemmThreadStats). */
  readonly threadedPerStep: { readonly products: number; readonly planeTasks: number } | null;
}

const scope = self as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent<BenchRequest>) => void) | null };

scope.onmessage = (e) => {
  measure(e.data).then(
    (result) => scope.postMessage({ type: 'result', result }),
    (err: unknown) => scope.postMessage({ type: 'error', message: (err as Error).message }),
  );
};
scope.postMessage({ type: 'alive' });

/** Deterministic pixels in [0, 1) (the same generator idea as bench/'s images()). */
function pixels(n: number): Float32Array {
  const out = new Float32Array(n);
  let s = 2;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 8) / 2 ** 24;
  }
  return out;
}

async function measure(r: BenchRequest): Promise<BenchResult> {
  if (r.backend === 'cpu') {
    setGemmThreads(r.threads ?? 1);
    // The workers start asynchronously; until they are up, products run on this thread.
    const threads = await gemmThreadsReady();
    if (threads !== (r.threads ?? 1)) throw new Error(`asked for ${r.threads} GEMM threads, the backend runs ${createCpuBackend().description}`);
  }
  if (r.workload === 'W4') return measureGemm(r);
  const backend: Backend = r.backend === 'webgpu' ? await createWebGpuBackend() : createCpuBackend({ kernels: r.kernels });
  const model = fashionNet({ registry: zooRegistry() }).build({ backend, seed: 1 });
  const train = model.withLoss(SoftmaxCrossEntropy, undefined, { targetDType: 'int32' });
  const x = backend.tensor(pixels(r.batch * 784), [r.batch, 1, 28, 28]);
  const y = backend.tensor(Int32Array.from({ length: r.batch }, (_, i) => i % 10), [r.batch], 'int32');
  const opt = new Sgd({ lr: 0.01, momentum: 0.9 });
  const params = model.params();
  const step = async (sync: boolean) => {
    const run = train.forward({ input: x, target: y }, { mode: 'train' });
    const g = run.backward();
    opt.step(params, g);
    // WebGPU work is queued; reading the loss waits for it (the CPU backend computes eagerly).
    if (sync) await run.get('loss').read();
    g.dispose();
    run.dispose();
  };
  for (let i = 0; i < r.warmup; i++) await step(true);
  const stats0 = gemmThreadStats();
  const runs: number[] = [];
  for (let k = 0; k < r.runs; k++) {
    const t0 = performance.now();
    for (let i = 0; i < r.steps; i++) await step(i === r.steps - 1);
    runs.push((r.batch * r.steps * 1000) / (performance.now() - t0));
  }
  const stats1 = gemmThreadStats();
  const steps = r.runs * r.steps;
  const sorted = [...runs].sort((a, b) => a - b);
  const result: BenchResult = {
    workload: 'M1',
    backend: backend.description,
    software: r.backend === 'webgpu' && (backend as WebGpuBackend).software,
    kernels: r.backend === 'cpu' ? (r.kernels ?? null) : null,
    threads: r.backend === 'cpu' ? gemmThreads() : 0,
    batch: r.batch,
    steps: r.steps,
    imagesPerSecond: sorted[Math.floor(sorted.length / 2)],
    gflops: null,
    runs,
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    threadedPerStep: r.backend === 'cpu' ? { products: (stats1.inPlace + stats1.copied - stats0.inPlace - stats0.copied) / steps, planeTasks: (stats1.planeTasks - stats0.planeTasks) / steps } : null,
  };
  x.dispose();
  y.dispose();
  opt.dispose();
  model.dispose();
  return result;
}

/** W4: `steps` products C = A·B of 1024×1024 float32 backend tensors per run, after `warmup` of them. */
function measureGemm(r: BenchRequest): BenchResult {
  const n = 1024;
  const backend = createCpuBackend({ kernels: r.kernels });
  const a = backend.tensor(pixels(n * n), [n, n]);
  const b = backend.tensor(pixels(n * n).reverse(), [n, n]);
  for (let i = 0; i < r.warmup; i++) backend.blocks.gemm(a, b).dispose();
  const stats0 = gemmThreadStats();
  const runs: number[] = [];
  for (let k = 0; k < r.runs; k++) {
    const t0 = performance.now();
    for (let i = 0; i < r.steps; i++) backend.blocks.gemm(a, b).dispose();
    runs.push((2 * n ** 3 * r.steps) / ((performance.now() - t0) * 1e6));
  }
  const stats1 = gemmThreadStats();
  const sorted = [...runs].sort((x, y) => x - y);
  const result: BenchResult = {
    workload: 'W4', backend: backend.description, software: false, kernels: r.kernels ?? null, threads: gemmThreads(), batch: 0, steps: r.steps,
    imagesPerSecond: null, gflops: sorted[Math.floor(sorted.length / 2)], runs,
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    threadedPerStep: { products: (stats1.inPlace + stats1.copied - stats0.inPlace - stats0.copied) / (r.runs * r.steps), planeTasks: 0 },
  };
  a.dispose();
  b.dispose();
  return result;
}
