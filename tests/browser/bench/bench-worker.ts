// One benchmark configuration, in a Web Worker as the playground trains: the Fashion convnet's
// training step at batch 64 (bench/ workload M1: forward with softmax cross-entropy, backward,
// SGD with momentum) on the CPU backend with a given kernel path, or on WebGPU.
import { createCpuBackend, gemmThreads, type CpuKernels } from '@hubel/backend-cpu';
import { createWebGpuBackend, type WebGpuBackend } from '@hubel/backend-webgpu';
import { Sgd, type Backend } from '@hubel/core';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { fashionNet, zooRegistry } from '@hubel/models';

/** What the page asks for. */
export interface BenchRequest {
  readonly backend: 'cpu' | 'webgpu';
  readonly kernels?: CpuKernels;
  readonly batch: number;
  readonly warmup: number;
  readonly steps: number;
  readonly runs: number;
}

/** One configuration's measurement. */
export interface BenchResult {
  readonly backend: string;
  readonly software: boolean;
  readonly kernels: string | null;
  readonly threads: number;
  readonly batch: number;
  readonly steps: number;
  /** Median over runs of images per second. */
  readonly imagesPerSecond: number;
  /** Every run's images per second. */
  readonly runs: readonly number[];
  readonly crossOriginIsolated: boolean;
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
  const runs: number[] = [];
  for (let k = 0; k < r.runs; k++) {
    const t0 = performance.now();
    for (let i = 0; i < r.steps; i++) await step(i === r.steps - 1);
    runs.push((r.batch * r.steps * 1000) / (performance.now() - t0));
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const result: BenchResult = {
    backend: backend.description,
    software: r.backend === 'webgpu' && (backend as WebGpuBackend).software,
    kernels: r.backend === 'cpu' ? (r.kernels ?? null) : null,
    threads: r.backend === 'cpu' ? gemmThreads() : 0,
    batch: r.batch,
    steps: r.steps,
    imagesPerSecond: sorted[Math.floor(sorted.length / 2)],
    runs,
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  };
  x.dispose();
  y.dispose();
  opt.dispose();
  model.dispose();
  return result;
}
