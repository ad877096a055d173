// ONNX I/O workloads: serializing and parsing a model with ~1.2 M float32 parameters (an MLP
// 784→1024→384→10, MNIST-sized), i.e. protobuf encoding plus 4.8 MB of raw tensor data each way.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Sequential, type Model } from '@hubel/core';
import { exportOnnx, importOnnx } from '@hubel/io';
import { activationLayers, Relu } from '@hubel/layers-activation';
import { denseLayers, Linear } from '@hubel/layers-dense';
import type { Workload } from '../workload.js';

const registry = new Registry().use(cpuBackend, denseLayers, activationLayers);

function mlp(): Model {
  return new Sequential([null, 784], { registry })
    .add(Linear, { outFeatures: 1024 }, 'fc1')
    .add(Relu, undefined, 'relu1')
    .add(Linear, { outFeatures: 384 }, 'fc2')
    .add(Relu, undefined, 'relu2')
    .add(Linear, { outFeatures: 10 }, 'fc3')
    .build({ backend: createCpuBackend(), seed: 1 });
}

export const workloads: Workload[] = [
  {
    id: 'IO1',
    name: 'exportOnnx MLP 784-1024-384-10 (1.2 M params, CPU)',
    runs: 10,
    setup() {
      const model = mlp();
      return { run: async () => void (await exportOnnx(model)), dispose: () => model.dispose() };
    },
  },
  {
    id: 'IO2',
    name: 'importOnnx MLP 784-1024-384-10 (1.2 M params, CPU)',
    runs: 10,
    async setup() {
      const model = mlp();
      const bytes = await exportOnnx(model);
      model.dispose();
      const backend = createCpuBackend();
      return { run: () => importOnnx(bytes, { registry, backend }).dispose() };
    },
  },
];
