// Normalization workloads (issue 4): forward+backward of BatchNormalization in training mode
// (N=64, C=64, 28×28), and of LRN and LocalContrastNorm on AlexNet-sized maps (8×96×55×55).
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential, type AnyLayer, type Shape } from '@hubel/core';
import { BatchNormalization, LocalContrastNorm, LRN, normLayers } from '@hubel/layers-norm';
import type { Workload, WorkloadInstance } from '../workload.js';

function randomArray(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** One training-mode forward and backward (∂C/∂x and parameter gradients) of a one-layer model. */
function forwardBackward(layer: AnyLayer, attrs: Record<string, unknown> | undefined, shape: Shape): WorkloadInstance {
  const registry = new Registry().use(cpuBackend, normLayers);
  const backend = createCpuBackend();
  const model = new Sequential([null, ...shape.slice(1)], { registry }).add(layer, attrs as never, 'norm').build({ backend, seed: 1 });
  const size = shape.reduce((a, b) => a * b, 1);
  const x = backend.tensor(randomArray(size, 2), shape);
  const dy = backend.tensor(randomArray(size, 3), shape);
  return {
    backend: backend.description,
    run() {
      const run = model.forward({ input: x }, { mode: 'train' });
      run.backward({ seeds: { norm: dy }, inputs: ['input'] }).dispose();
      run.dispose();
    },
    dispose() {
      x.dispose();
      dy.dispose();
      model.dispose();
    },
  };
}

export const workloads: Workload[] = [
  {
    id: 'N1',
    name: 'BatchNormalization forward+backward, training mode, 64×64×28×28 (CPU)',
    images: 64,
    setup: () => forwardBackward(BatchNormalization, undefined, [64, 64, 28, 28]),
  },
  {
    id: 'N2',
    name: 'LRN (size 5, α 1e-4, β 0.75, k 2) forward+backward, 8×96×55×55 (CPU)',
    images: 8,
    setup: () => forwardBackward(LRN, { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 }, [8, 96, 55, 55]),
  },
  {
    id: 'N3',
    name: 'LocalContrastNorm (7×7 Gaussian, σ 2) forward+backward, 8×96×55×55 (CPU)',
    images: 8,
    setup: () => forwardBackward(LocalContrastNorm, { size: 7, sigma: 2 }, [8, 96, 55, 55]),
  },
];
