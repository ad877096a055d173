// A dedicated Web Worker for tests/browser/cpu-threads.test.ts whose GEMM workers cannot start:
// before backend-cpu loads, `Worker` is replaced by one whose instances raise an error event, as a
// worker script refused by the page's policy does. The backend must keep one thread, say why, and
// still compute.
import type { ThreadsFailure } from './cpu-threads-worker.js';

const scope = self as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent<'run'>) => void) | null; Worker: unknown };

/** A Worker whose start fails: an error event once this thread returns to its event loop. */
class FailingWorker {
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
  constructor() {
    setTimeout(() => this.onerror?.({ message: 'refused by the test', preventDefault() {} }), 0);
  }
  postMessage(): void {}
  terminate(): void {}
}
scope.Worker = FailingWorker;
// Loaded only now (a static import would run before the replacement above).
const { createCpuBackend, gemm, gemmThreads, gemmThreadsReady, gemmThreadsReason, gemmThreadStats, setGemmThreads } = await import('@hubel/backend-cpu');

async function run(): Promise<ThreadsFailure> {
  setGemmThreads(2);
  const ready = await gemmThreadsReady();
  const before = gemmThreadStats();
  // 70×250·250×301 (5.3M multiply-adds: above the threading threshold) of small integers: the
  // float32 sums are exact, so the expected C is known exactly.
  const [m, n, k] = [70, 301, 250];
  const a = Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3);
  const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
  const c = new Float32Array(m * n);
  gemm({ m, n, k, a, b, c });
  let wrong = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      if (c[i * n + j] !== s) wrong++;
    }
  const after = gemmThreadStats();
  return { ready, threads: gemmThreads(), reason: gemmThreadsReason(), description: createCpuBackend().description, threadedProducts: after.inPlace + after.copied - before.inPlace - before.copied, wrong };
}

scope.onmessage = () => {
  run().then(
    (report) => scope.postMessage({ type: 'report', report }),
    (e: unknown) => scope.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) }),
  );
};
scope.postMessage({ type: 'alive' });
