// A dedicated Web Worker for tests/browser/cpu-threads.test.ts: here the CPU backend may block,
// so it starts its GEMM worker threads. It runs ragged GEMMs (every transpose, plain arrays and
// heap tensors, every kernel path), a float64 product and Winograd convolutions, first on 2
// threads and then on 1, and posts the inputs, both results and the thread statistics back; the
// page checks them against float64 references.
import { availableCpuKernels, createCpuBackend, gemm, gemmThreads, gemmThreadsReady, gemmThreadsReason, gemmThreadStats, setGemmThreads, type ConvGeometry, type CpuKernels } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';

/** One GEMM C = α·op(A)·op(B) + β·C0 run on both thread counts. */
export interface GemmRun {
  readonly label: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly c0: Float32Array;
  /** C on 2 threads, then on 1. */
  readonly two: Float32Array;
  readonly one: Float32Array;
}

/** One Winograd convolution (forward with bias, adjoint, weight gradient) run on both thread counts. */
export interface WinogradRun {
  readonly label: string;
  readonly g: ConvGeometry;
  readonly images: number;
  readonly outChannels: number;
  readonly x: Float32Array;
  readonly w: Float32Array;
  readonly bias: Float32Array;
  readonly dy: Float32Array;
  /** [y, dx, dW] on 2 threads, then on 1. */
  readonly two: Float32Array[];
  readonly one: Float32Array[];
}

/** What the worker reports. */
export interface ThreadsReport {
  /** A large product run right after the pool was started, before its workers were up. */
  readonly beforeReady: { readonly threads: number; readonly reason: string | undefined; readonly threadedProducts: number };
  /** What gemmThreadsReady() resolved to, and the state then. */
  readonly ready: number;
  readonly reason: string | undefined;
  readonly description: string;
  readonly kernels: readonly CpuKernels[];
  readonly gemm: readonly GemmRun[];
  readonly winograd: readonly WinogradRun[];
  /** A float64 product (not in the heap: it goes through heap copies), 2 and 1 threads. */
  readonly f64: { readonly two: Float64Array; readonly one: Float64Array };
  /** gemmThreadStats() deltas over the 2-thread runs, and over the 1-thread runs. */
  readonly statsTwo: { readonly inPlace: number; readonly copied: number; readonly planeTasks: number };
  readonly statsOne: { readonly inPlace: number; readonly copied: number; readonly planeTasks: number };
  readonly threadsAfter: number;
}

/** What cpu-threads-failing-worker.ts reports: its GEMM workers could not start. */
export interface ThreadsFailure {
  readonly ready: number;
  readonly threads: number;
  readonly reason: string | undefined;
  readonly description: string;
  /** Products that ran threaded (none should), and elements of the exact product that differ. */
  readonly threadedProducts: number;
  readonly wrong: number;
}

/** Messages to the page, from either test worker. */
export type FromThreadsWorker<R = ThreadsReport> = { readonly type: 'alive' } | { readonly type: 'report'; readonly report: R } | { readonly type: 'error'; readonly message: string };

const scope = self as unknown as { postMessage(m: FromThreadsWorker): void; onmessage: ((e: MessageEvent<'run'>) => void) | null };

const SEED = 31;
/** 70×250·250×301 and 301×250·250×70: 5.3M multiply-adds each, above the threading threshold (4M); column and row strips. */
const SHAPES: readonly [number, number, number][] = [
  [70, 301, 250],
  [301, 70, 250],
];

function stats() {
  return gemmThreadStats();
}
function delta(a: ReturnType<typeof stats>, b: ReturnType<typeof stats>) {
  return { inPlace: b.inPlace - a.inPlace, copied: b.copied - a.copied, planeTasks: b.planeTasks - a.planeTasks };
}

function geometry(r: number, channels: number, inH: number, inW: number, pad: number): ConvGeometry {
  return { channels, inH, inW, kernelH: r, kernelW: r, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: pad, padLeft: pad, outH: inH + 2 * pad - r + 1, outW: inW + 2 * pad - r + 1 };
}

async function run(): Promise<ThreadsReport> {
  const kernels = availableCpuKernels();
  const r = new Rng(SEED);
  const normal = (n: number) => Float32Array.from({ length: n }, () => r.normal());

  // The pool starts with this product but its workers cannot be up yet: it runs on this thread.
  setGemmThreads(2);
  const s0 = stats();
  const [m0, n0, k0] = SHAPES[0];
  gemm({ m: m0, n: n0, k: k0, a: normal(m0 * k0), b: normal(k0 * n0), c: new Float32Array(m0 * n0) });
  const beforeReady = { threads: gemmThreads(), reason: gemmThreadsReason(), threadedProducts: delta(s0, stats()).inPlace + delta(s0, stats()).copied };
  const ready = await gemmThreadsReady();
  const reason = gemmThreadsReason();
  const description = createCpuBackend().description;

  // Inputs, then every computation on 2 threads, then on 1 (setGemmThreads(1) ends the workers).
  const gemmInputs = kernels.flatMap((path) =>
    SHAPES.flatMap(([m, n, k]) =>
      ([[false, false], [true, false], [false, true], [true, true]] as const).flatMap(([transA, transB]) =>
        (['plain', 'heap'] as const).map((where) => ({
          label: `${path}: ${m}×${k}·${k}×${n}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}, ${where === 'plain' ? 'plain arrays, α = 1.5, β = −0.5' : 'heap tensors, β = 0'}`,
          path, where, m, n, k, transA, transB, alpha: where === 'plain' ? 1.5 : 1, beta: where === 'plain' ? -0.5 : 0,
          a: normal(m * k), b: normal(k * n), c0: normal(m * n),
        })),
      ),
    ),
  );
  const winogradInputs = kernels.flatMap((path) =>
    [
      { r: 3, c: 16, size: 16, cOut: 16 },
      { r: 5, c: 16, size: 14, cOut: 16 },
    ].map(({ r: k, c, size, cOut }) => {
      const g = geometry(k, c, size, size, (k - 1) / 2);
      return { label: `${path}: ${k}×${k}, 8×${c}×${size}×${size} → ${cOut}`, path, g, images: 8, outChannels: cOut, x: normal(8 * c * size * size), w: normal(cOut * c * k * k), bias: normal(cOut), dy: normal(8 * cOut * g.outH * g.outW) };
    }),
  );
  const f64In = { a: Float64Array.from(normal(70 * 250)), b: Float64Array.from(normal(250 * 301)) };

  const gemmAll = () =>
    gemmInputs.map((t) => {
      if (t.where === 'plain') {
        const c = t.c0.slice();
        gemm({ m: t.m, n: t.n, k: t.k, a: t.a, b: t.b, c, transA: t.transA, transB: t.transB, alpha: t.alpha, beta: t.beta, kernels: t.path });
        return c;
      }
      const be = createCpuBackend({ kernels: t.path });
      const A = be.tensor(t.a, t.transA ? [t.k, t.m] : [t.m, t.k]);
      const B = be.tensor(t.b, t.transB ? [t.n, t.k] : [t.k, t.n]);
      const C = be.blocks.gemm(A, B, { transA: t.transA, transB: t.transB });
      const c = be.readSync(C) as Float32Array;
      for (const x of [A, B, C]) x.dispose();
      return c;
    });
  const winogradAll = () =>
    winogradInputs.map((t) => {
      const be = createCpuBackend({ kernels: t.path });
      const [k, c] = [t.g.kernelH, t.g.channels];
      const x = be.tensor(t.x, [t.images, c, t.g.inH, t.g.inW]);
      const w = be.tensor(t.w, [t.outChannels, c, k, k]);
      const bias = be.tensor(t.bias, [t.outChannels]);
      const dy = be.tensor(t.dy, [t.images, t.outChannels, t.g.outH, t.g.outW]);
      const adjoint: ConvGeometry = { ...t.g, channels: t.outChannels, inH: t.g.outH, inW: t.g.outW, padTop: k - 1 - t.g.padTop, padLeft: k - 1 - t.g.padLeft, outH: t.g.inH, outW: t.g.inW };
      const outs = [be.blocks.winogradConv(x, w, t.g, { bias }), be.blocks.winogradConv(dy, w, adjoint, { adjoint: true }), be.blocks.winogradFilterGrad(x, dy, t.g)];
      const read = outs.map((o) => be.readSync(o) as Float32Array);
      for (const o of [x, w, bias, dy, ...outs]) o.dispose();
      return read;
    });
  const f64All = () => {
    const be = createCpuBackend({ dtype: 'float64' });
    const A = be.tensor(f64In.a, [70, 250]);
    const B = be.tensor(f64In.b, [250, 301]);
    const C = be.blocks.gemm(A, B);
    const c = be.readSync(C) as Float64Array;
    for (const x of [A, B, C]) x.dispose();
    return c;
  };

  const s1 = stats();
  const gemmTwo = gemmAll(), winogradTwo = winogradAll(), f64Two = f64All();
  const s2 = stats();
  setGemmThreads(1);
  const gemmOne = gemmAll(), winogradOne = winogradAll(), f64One = f64All();
  const s3 = stats();

  return {
    beforeReady, ready, reason, description, kernels,
    gemm: gemmInputs.map(({ label, m, n, k, transA, transB, alpha, beta, a, b, c0 }, i) => ({ label, m, n, k, transA, transB, alpha, beta, a, b, c0, two: gemmTwo[i], one: gemmOne[i] })),
    winograd: winogradInputs.map(({ label, g, images, outChannels, x, w, bias, dy }, i) => ({ label, g, images, outChannels, x, w, bias, dy, two: winogradTwo[i], one: winogradOne[i] })),
    f64: { two: f64Two, one: f64One },
    statsTwo: delta(s1, s2),
    statsOne: delta(s2, s3),
    threadsAfter: gemmThreads(),
  };
}

scope.onmessage = () => {
  run().then(
    (report) => scope.postMessage({ type: 'report', report }),
    (e: unknown) => scope.postMessage({ type: 'error', message: (e as Error).stack ?? String(e) }),
  );
};
// Posted once the imports (and backend-cpu's top-level await) are done: a message sent to a module
// worker before then may be dropped, so the page sends its request only after this.
scope.postMessage({ type: 'alive' });
