// Activation and loss workloads: elementwise ReLU, row softmax and fused softmax cross-entropy,
// each forward + backward on the CPU (float32), timed through the executor as training runs them.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, Registry, Rng, Sequential, type AnyLayer } from '@hubel/core';
import { activationLayers, Relu, Softmax } from '@hubel/layers-activation';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import type { Workload, WorkloadInstance } from '../workload.js';

const registry = new Registry().use(cpuBackend, activationLayers, lossLayers);

function randomArray(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** One activation node, forward then backward with a fixed dy. */
function activation(layer: AnyLayer, shape: number[]): WorkloadInstance {
  const backend = createCpuBackend();
  const model = new Sequential([null, ...shape.slice(1)], { registry }).add(layer, undefined, 'act').build({ backend });
  const n = shape.reduce((a, b) => a * b, 1);
  const x = backend.tensor(randomArray(n, 1), shape);
  const dy = backend.tensor(randomArray(n, 2), shape);
  return {
    run() {
      const run = model.forward({ input: x }, { mode: 'train' });
      run.backward({ seeds: { act: dy }, inputs: ['input'] }).dispose();
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
    id: 'ACT1',
    name: 'Relu forward+backward, [64, 64, 32, 32] float32 (CPU)',
    examples: 64,
    setup: () => activation(Relu, [64, 64, 32, 32]),
  },
  {
    id: 'ACT2',
    name: 'Softmax forward+backward, [256, 1000] float32 (CPU)',
    examples: 256,
    setup: () => activation(Softmax, [256, 1000]),
  },
  {
    id: 'LOSS1',
    name: 'SoftmaxCrossEntropy forward+backward, [256, 1000] scores float32 (CPU)',
    examples: 256,
    setup() {
      const backend = createCpuBackend();
      const g = new GraphBuilder({ registry });
      g.output(g.add(SoftmaxCrossEntropy, undefined, [g.input('x', [null, 1000]), g.input('t', [null], 'int32')], { name: 'loss' }));
      const model = g.build({ backend });
      const r = new Rng(3);
      const x = backend.tensor(randomArray(256 * 1000, 4), [256, 1000]);
      const t = backend.tensor(Int32Array.from({ length: 256 }, () => r.int(1000)), [256], 'int32');
      return {
        run() {
          const run = model.forward({ x, t }, { mode: 'train' });
          run.backward({ inputs: ['x'] }).dispose();
          run.dispose();
        },
        dispose() {
          x.dispose();
          t.dispose();
          model.dispose();
        },
      };
    },
  },
];
