// The CPU backend's GEMM worker threads in Chromium. On the page's main thread (where this file
// runs) Atomics.wait is forbidden, so the backend keeps one thread and says why. In a dedicated
// Web Worker (tests/browser/workers/cpu-threads-worker.ts) it starts its workers, and every
// product, transform and convolution must come out bitwise the same on 2 threads as on 1, and
// close to a float64 reference computed here.
import { createCpuBackend, gemmThreads, gemmThreadsReady, gemmThreadsReason, type ConvGeometry, type CpuBackend } from '@hubel/backend-cpu';
import type { Tensor } from '@hubel/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FromThreadsWorker, GemmRun, ThreadsFailure, ThreadsReport, WinogradRun } from './workers/cpu-threads-worker.js';

/** The seed the worker draws its inputs with (cpu-threads-worker.ts). */
const SEED = 31;

/**
 * Starts a test worker, waits until it says it is alive (a module worker may drop messages sent
 * before its top-level await is done), asks for its report.
 */
async function workerReport<R>(worker: Worker): Promise<R> {
  try {
    return await new Promise<R>((resolve, reject) => {
      worker.onmessage = (e: MessageEvent<FromThreadsWorker<R>>) => {
        if (e.data.type === 'alive') worker.postMessage('run');
        else if (e.data.type === 'report') resolve(e.data.report);
        else reject(new Error(`the test worker failed: ${e.data.message}`));
      };
      worker.onerror = (e) => reject(new Error(e.message || 'the test worker failed to start'));
    });
  } finally {
    worker.terminate();
  }
}

/**
 * C = α·op(A)·op(B) + β·C0 in float64, checked per element against Higham's bound for a float32
 * sum of k products in any order (blocked, maybe fused): |error| ≤ γ_(k+2)·Σ|terms|, γ_n =
 * n·u/(1 − n·u), u = 2⁻²⁴ (+2 for α and β), as tests/browser/cpu-gemm.test.ts does. Per element,
 * against its own Σ|terms|, so cancellation cannot hide a wrong term.
 */
function checkGemm(t: GemmRun, got: Float32Array): void {
  const u = 2 ** -24;
  const gamma = ((t.k + 2) * u) / (1 - (t.k + 2) * u);
  for (let i = 0; i < t.m; i++)
    for (let j = 0; j < t.n; j++) {
      let s = 0, abs = 0;
      for (let p = 0; p < t.k; p++) {
        const v = (t.transA ? t.a[p * t.m + i] : t.a[i * t.k + p]) * (t.transB ? t.b[j * t.k + p] : t.b[p * t.n + j]);
        s += v;
        abs += Math.abs(v);
      }
      const c0 = t.beta === 0 ? 0 : t.beta * t.c0[i * t.n + j];
      const want = t.alpha * s + c0;
      const err = Math.abs(got[i * t.n + j] - want);
      const bound = gamma * (Math.abs(t.alpha) * abs + Math.abs(c0)) + 1e-30;
      if (!(err <= bound)) throw new Error(`${t.label}: C[${i}, ${j}] = ${got[i * t.n + j]}, float64 ${want} (error ${err} > ${bound}; seed ${SEED})`);
    }
}

/** y (+ bias), dx and dW by im2col + GEMM on the float64 backend: an independent algorithm. */
function im2colReference(t: WinogradRun): Float64Array[] {
  const be: CpuBackend = createCpuBackend({ dtype: 'float64' });
  const { g, images: n, outChannels: cOut } = t;
  const r = g.kernelH;
  const l = g.outH * g.outW;
  const x = be.tensor(t.x, [n, g.channels, g.inH, g.inW]);
  const w = be.tensor(t.w, [cOut, g.channels, r, r]);
  const dy = be.tensor(t.dy, [n, cOut, g.outH, g.outW]);
  const cols = be.blocks.im2col(x, g);
  const w2 = be.blocks.reshape(w, [cOut, w.size / cOut]);
  const y = Float64Array.from(be.readSync(be.blocks.transpose(be.blocks.gemm(w2, cols), [1, 0, 2], [cOut, n, l], [n, cOut, g.outH, g.outW])));
  for (let i = 0; i < y.length; i++) y[i] += t.bias[Math.floor(i / l) % cOut];
  const dyT: Tensor = be.blocks.transpose(dy, [1, 0, 2], [n, cOut, l], [cOut, n * l]);
  const dx = Float64Array.from(be.readSync(be.blocks.col2im(be.blocks.gemm(w2, dyT, { transA: true }), g, x.shape)));
  const dw = Float64Array.from(be.readSync(be.blocks.gemm(dyT, cols, { transB: true })));
  return [y, dx, dw];
}

describe('GEMM worker threads in Chromium', () => {
  it("on the page's main thread the backend keeps one thread and says why", async () => {
    expect(await gemmThreadsReady()).toBe(1);
    expect(gemmThreads()).toBe(1);
    expect(gemmThreadsReason()).toBe("the page's main thread cannot block");
    expect(createCpuBackend().description).toMatch(/^CPU \(float32, WebAssembly (relaxed )?SIMD, 1 thread: the page's main thread cannot block\)$/);
  });

  it('in a dedicated Web Worker whose GEMM workers cannot start: one thread, the reason, and the right product', async () => {
    const r = await workerReport<ThreadsFailure>(new Worker(new URL('./workers/cpu-threads-failing-worker.ts', import.meta.url), { type: 'module' }));
    const reason = 'a worker thread failed to start (refused by the test)';
    expect(r).toEqual({ ready: 1, threads: 1, reason, description: expect.stringMatching(/, 1 thread: a worker thread failed to start \(refused by the test\)\)$/), threadedProducts: 0, wrong: 0 });
  });

  describe('in a dedicated Web Worker', () => {
    let report: ThreadsReport;
    beforeAll(async () => {
      report = await workerReport<ThreadsReport>(new Worker(new URL('./workers/cpu-threads-worker.ts', import.meta.url), { type: 'module' }));
    });

    it('starts the workers without blocking: a product before they are up runs on the calling thread, then gemmThreadsReady() resolves to 2', () => {
      // The pool was started by that product and checked at once: its workers were not up, so it
      // ran here. (Chromium starts them only once the creating worker returns to its event loop,
      // so right after the product they are still starting; the second form would be a browser
      // that started them meanwhile.)
      expect(report.beforeReady.threadedProducts).toBe(0);
      expect([
        { threads: 1, reason: 'the worker threads are starting (await gemmThreadsReady())' },
        { threads: 2, reason: undefined },
      ]).toContainEqual({ threads: report.beforeReady.threads, reason: report.beforeReady.reason });
      expect(report.ready).toBe(2);
      expect(report.reason).toBeUndefined();
      expect(report.description).toMatch(/^CPU \(float32, WebAssembly (relaxed )?SIMD, 2 threads\)$/);
      expect(report.threadsAfter).toBe(1);
    });

    it('the threads really ran: every large product and the Winograd transforms on 2 threads, none on 1', () => {
      const plain = report.gemm.filter((t) => t.label.includes('plain arrays')).length;
      const heap = report.gemm.length - plain;
      // Plain arrays are copied into the heap for the workers; heap tensors are used in place,
      // and so are the float64 product's copies (one more 'copied').
      expect(report.statsTwo.copied).toBe(plain + 1);
      expect(report.statsTwo.inPlace).toBe(heap);
      // Per convolution: input, output and output-gradient transforms of the forward pass, the
      // adjoint and the weight gradient (input, output-gradient): at least 5 plane tasks.
      expect(report.statsTwo.planeTasks).toBeGreaterThanOrEqual(5 * report.winograd.length);
      expect(report.statsOne).toEqual({ inPlace: 0, copied: 0, planeTasks: 0 });
    });

    it('ragged GEMMs (every transpose, plain arrays and heap tensors, every kernel path): 2 threads bitwise equal to 1, and within the float32 error bound of float64', () => {
      expect(report.gemm.length).toBe(16 * report.kernels.length);
      for (const t of report.gemm) {
        expect(t.two, t.label).toEqual(t.one);
        checkGemm(t, t.two);
      }
      expect(report.f64.two).toEqual(report.f64.one);
    });

    it('Winograd convolutions (3×3 and 5×5; y with bias, dx, dW): 2 threads bitwise equal to 1, and close to im2col + GEMM in float64', () => {
      for (const t of report.winograd) {
        const ref = im2colReference(t);
        const r = t.g.kernelH;
        // Each value sums T products of N(0, 1) numbers through transforms whose coefficients
        // reach 5 and whose partial sums grow ≲ 20× the inputs, about 50 roundings deep: its
        // float32 error stays below T·20·50·u, u = 2⁻²⁴ (as tests/browser/cpu-winograd.test.ts).
        // T = r²·C for y, r²·Cout for dx, N·outH·outW for dW. A wrong tile or plane is off by O(1).
        const terms = [r * r * t.g.channels, r * r * t.outChannels, t.images * t.g.outH * t.g.outW];
        ['y', 'dx', 'dW'].forEach((what, i) => {
          expect(t.two[i], `${t.label} ${what}`).toEqual(t.one[i]);
          expect(t.two[i].length).toBe(ref[i].length);
          const tol = terms[i] * 20 * 50 * 2 ** -24;
          for (let j = 0; j < ref[i].length; j++) {
            const err = Math.abs(t.two[i][j] - ref[i][j]);
            if (!(err <= tol)) throw new Error(`${t.label} ${what}[${j}] = ${t.two[i][j]}, float64 ${ref[i][j]}: error ${err} > ${tol} (seed ${SEED})`);
          }
        });
      }
    });
  });
});
