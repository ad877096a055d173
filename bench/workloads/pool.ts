// Pooling workloads (float32, NCHW, CPU): AlexNet's overlapping max pool and maxout, each one
// forward + backward pass through the executor (arg-max saved in forward, routed in backward).
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential, type AnyLayer, type Shape } from '@hubel/core';
import { MaxPool, Maxout, poolLayers } from '@hubel/layers-pool';
import type { Workload, WorkloadInstance } from '../workload.js';

function randomArray(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** One layer, forward + backward on fixed inputs; dy is drawn once for the output shape. */
function forwardBackward(layer: AnyLayer, attrs: Record<string, unknown>, input: Shape, outSize: number): WorkloadInstance {
  const registry = new Registry().use(cpuBackend, poolLayers);
  const backend = createCpuBackend();
  const model = new Sequential([null, ...input.slice(1)], { registry }).add(layer, attrs as never).build({ backend, seed: 1 });
  const x = backend.tensor(randomArray(input.reduce((p, d) => p * d, 1), 2), input);
  let dy: ReturnType<typeof backend.tensor> | undefined;
  return {
    backend: backend.description,
    run() {
      const run = model.forward({ input: x }, { mode: 'train', forBackward: true });
      const y = run.get(model.outputs[0]);
      dy ??= backend.tensor(randomArray(outSize, 3), y.shape);
      const g = run.backward({ seeds: { [model.outputs[0]]: dy }, inputs: ['input'] });
      g.dispose();
      run.dispose();
    },
    dispose() {
      x.dispose();
      dy?.dispose();
      model.dispose();
    },
  };
}

export const workloads: Workload[] = [
  {
    id: 'P1',
    name: 'MaxPool 3×3 stride 2 forward+backward, batch 8 of 96×55×55 → 96×27×27 (AlexNet pool1, CPU)',
    images: 8,
    setup: () => forwardBackward(MaxPool, { kernelShape: [3, 3], strides: [2, 2] }, [8, 96, 55, 55], 8 * 96 * 27 * 27),
  },
  {
    id: 'P2',
    name: 'Maxout groupSize 2 forward+backward, batch 8 of 256×27×27 → 128×27×27 (CPU)',
    images: 8,
    setup: () => forwardBackward(Maxout, { groupSize: 2 }, [8, 256, 27, 27], 8 * 128 * 27 * 27),
  },
];
