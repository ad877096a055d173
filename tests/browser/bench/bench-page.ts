// Starts the benchmark worker for each configuration the driver asks for (?runs=...) and
// publishes the results on window.__bench for tests/browser/bench.ts to read.
import type { BenchRequest, BenchResult } from './bench-worker.js';

declare global {
  interface Window {
    __bench?: { done: boolean; results: BenchResult[]; error?: string };
  }
}

const out = document.getElementById('out')!;
const params = new URLSearchParams(location.search);
const requests: BenchRequest[] = JSON.parse(params.get('runs') ?? '[]');
window.__bench = { done: false, results: [] };

async function runOne(r: BenchRequest): Promise<BenchResult> {
  // A fresh worker per configuration: its own backend, heap and GPU device.
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  try {
    return await new Promise<BenchResult>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<{ type: 'alive' } | { type: 'result'; result: BenchResult } | { type: 'error'; message: string }>) => {
        if (e.data.type === 'alive') worker.postMessage(r);
        else if (e.data.type === 'result') resolve(e.data.result);
        else reject(new Error(e.data.message));
      };
      worker.onerror = (e) => reject(new Error(e.message || 'the benchmark worker failed to start'));
    });
  } finally {
    worker.terminate();
  }
}

try {
  for (const r of requests) {
    const result = await runOne(r);
    window.__bench.results.push(result);
    out.textContent = JSON.stringify(window.__bench.results, null, 1);
  }
} catch (e) {
  window.__bench.error = (e as Error).message;
}
window.__bench.done = true;
