// Foundation workloads: GEMM 1024³, Linear forward+backward, MLP training throughput.
import { createCpuBackend, cpuBackend, gemm, gemmThreads, setGemmThreads } from '@hubel/backend-cpu';
import { ArrayDataset, Registry, Rng, Sequential, Sgd, Trainer } from '@hubel/core';
import { activationLayers, Relu } from '@hubel/layers-activation';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import type { Workload } from '../workload.js';

function randomArray(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/**
 * C ← A·B for n×n operands (1024 in W4) allocated by the CPU backend, through the GEMM every
 * layer uses, on `threads` threads (default: the current setting).
 */
export function gemmSquare(id: string, name: string, n = 1024, threads?: number): Workload {
  return {
    id,
    name,
    flops: 2 * n ** 3,
    setup() {
      // Operands allocated by the CPU backend, as every layer's are (in shared memory, so the
      // worker threads use them in place).
      const be = createCpuBackend();
      const a = be.data(be.tensor(randomArray(n * n, 1), [n, n]));
      const b = be.data(be.tensor(randomArray(n * n, 2), [n, n]));
      const c = be.data(be.alloc([n, n]));
      const before = gemmThreads();
      if (threads) setGemmThreads(threads);
      const run = () => gemm({ m: n, n, k: n, a, b, c });
      return {
        run,
        threads: gemmThreads(),
        dispose: () => setGemmThreads(before),
        // The default CPU backend computes in float32.
        peer: { kind: 'matmul', m: n, n, k: n, a: a as Float32Array, b: b as Float32Array, output: async () => (run(), Float32Array.from(c)) },
      };
    },
  };
}

/** The foundation workloads `pnpm bench` runs. */
export const workloads: Workload[] = [
  gemmSquare('W4', 'GEMM 1024x1024x1024 float32 (CPU)'),
  // The same product on one thread: the per-core speed this host gives right now, to read W4's
  // (and the other workloads') numbers against. The 2-core test host's vCPUs slow down by up to 3×
  // when it is busy.
  gemmSquare('W4-1t', 'GEMM 1024x1024x1024 float32, one thread (CPU)', 1024, 1),
  {
    id: 'F2',
    name: 'Linear 1024→1024 forward+backward, batch 256 (CPU)',
    flops: 3 * 2 * 256 * 1024 * 1024,
    examples: 256,
    setup() {
      const registry = new Registry().use(cpuBackend, denseLayers);
      const backend = createCpuBackend();
      const model = new Sequential([null, 1024], { registry }).add(Linear, { outFeatures: 1024 }).build({ backend, seed: 1 });
      const x = backend.tensor(randomArray(256 * 1024, 3), [256, 1024]);
      const dy = backend.tensor(randomArray(256 * 1024, 4), [256, 1024]);
      return {
        run() {
          const run = model.forward({ input: x }, { mode: 'train' });
          const g = run.backward({ seeds: { [model.outputs[0]]: dy }, inputs: ['input'] });
          g.dispose();
          run.dispose();
        },
        threads: gemmThreads(),
      };
    },
  },
  {
    id: 'F3',
    name: 'MLP 784-256-128-10 training, batch 64, one epoch of 4096 examples (CPU)',
    examples: 4096,
    warmup: 1,
    setup() {
      const registry = new Registry().use(cpuBackend, denseLayers, activationLayers, lossLayers);
      const backend = createCpuBackend();
      const model = new Sequential([null, 784], { registry })
        .add(Linear, { outFeatures: 256 })
        .add(Relu)
        .add(Linear, { outFeatures: 128 })
        .add(Relu)
        .add(Linear, { outFeatures: 10 })
        .build({ backend, seed: 1 });
      const r = new Rng(5);
      const data = new ArrayDataset(randomArray(4096 * 784, 6), [784], Int32Array.from({ length: 4096 }, () => r.int(10)), [], 10);
      const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.01, momentum: 0.9 }) });
      return { run: async () => void (await trainer.fit({ train: data, epochs: trainer.epoch + 1, batchSize: 64 })), threads: gemmThreads() };
    },
  },
];
