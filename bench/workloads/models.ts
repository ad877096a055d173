// Zoo-model workloads: one training step of the Fashion-MNIST convnet (what `hubel train`
// runs per batch) and its inference, batch 64 of 1×28×28; AlexNet forward at batch 1.
import { createCpuBackend, gemmThreads } from '@hubel/backend-cpu';
import { Rng, Sgd } from '@hubel/core';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { alexnet, fashionNet, zooRegistry } from '@hubel/models';
import type { Workload } from '../workload.js';

function images(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform());
}

export const workloads: Workload[] = [
  {
    id: 'M1',
    name: 'Fashion convnet (conv–BN–ReLU–pool ×2, FC 128, dropout) training step, batch 64 of 1×28×28 (CPU)',
    images: 64,
    setup() {
      const backend = createCpuBackend();
      const model = fashionNet({ registry: zooRegistry() }).build({ backend, seed: 1 });
      const train = model.withLoss(SoftmaxCrossEntropy, undefined, { targetDType: 'int32' });
      const x = backend.tensor(images(64 * 784, 2), [64, 1, 28, 28]);
      const y = backend.tensor(Int32Array.from({ length: 64 }, (_, i) => i % 10), [64], 'int32');
      const opt = new Sgd({ lr: 0.01, momentum: 0.9 });
      const params = model.params();
      return {
        run() {
          const run = train.forward({ input: x, target: y }, { mode: 'train' });
          const g = run.backward();
          opt.step(params, g);
          g.dispose();
          run.dispose();
        },
        threads: gemmThreads(),
      };
    },
  },
  {
    id: 'M2',
    name: 'Fashion convnet inference, batch 64 of 1×28×28 (CPU)',
    images: 64,
    setup() {
      const backend = createCpuBackend();
      const model = fashionNet({ registry: zooRegistry() }).build({ backend, seed: 1 });
      const x = backend.tensor(images(64 * 784, 2), [64, 1, 28, 28]);
      return { run: () => model.predict(x).dispose(), threads: gemmThreads() };
    },
  },
  {
    id: 'M3',
    name: 'AlexNet (two towers, zoo model) forward, batch 1 of 3×227×227 (CPU)',
    images: 1,
    runs: 5,
    setup() {
      const backend = createCpuBackend();
      const model = alexnet({ registry: zooRegistry() }).build({ backend, seed: 1 });
      const x = backend.tensor(images(3 * 227 * 227, 3), [1, 3, 227, 227]);
      return { run: () => model.predict(x).dispose(), threads: gemmThreads() };
    },
  },
];
