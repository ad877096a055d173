// WebGPU workloads: GEMM, conv forward, conv forward+backward and a convnet training step, on
// whatever adapter this machine has. Every line's `backend` names the adapter (and says
// "software" for llvmpipe/SwiftShader), so CPU-rasterizer numbers never pass for GPU numbers.
// Each run ends with a sync, so the time covers the GPU work, not just its encoding.
import { webgpuBackend, type WebGpuBackend } from '@hubel/backend-webgpu';
import { ArrayDataset, Registry, Rng, Sequential, Sgd, Trainer } from '@hubel/core';
import { activationLayers, Relu } from '@hubel/layers-activation';
import { Conv, convLayers } from '@hubel/layers-conv';
import { denseLayers, Flatten, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { MaxPool, poolLayers } from '@hubel/layers-pool';
import { availableParallelism } from 'node:os';
import type { Workload } from '../workload.js';

const registry = new Registry().use(webgpuBackend, denseLayers, activationLayers, lossLayers, convLayers, poolLayers);
let shared: Promise<WebGpuBackend> | undefined;
const gpu = () => (shared ??= registry.createBackend('webgpu') as Promise<WebGpuBackend>);
const label = (be: WebGpuBackend) => `webgpu (${be.description}${be.software ? '; software rasterizer, not a GPU' : ''})`;
// A software adapter (llvmpipe) runs shaders on every CPU core; a GPU's threads are not CPU threads.
const threads = (be: WebGpuBackend) => (be.software ? availableParallelism() : 1);

function randomArray(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

// Conv workload: batch 8, 16 → 32 channels, 16×16, 3×3 pad 1 (2·N·Cout·H·W·Cin·9 FLOPs forward).
const CONV = { n: 8, cin: 16, cout: 32, hw: 16 };
const CONV_FLOPS = 2 * CONV.n * CONV.cout * CONV.hw * CONV.hw * CONV.cin * 9;

async function convSetup(backward: boolean) {
  const be = await gpu();
  const model = new Sequential([null, CONV.cin, CONV.hw, CONV.hw], { registry })
    .add(Conv, { outChannels: CONV.cout, kernelShape: [3, 3], pads: [1, 1, 1, 1] })
    .build({ backend: be, seed: 1 });
  const x = be.tensor(randomArray(CONV.n * CONV.cin * CONV.hw * CONV.hw, 2), [CONV.n, CONV.cin, CONV.hw, CONV.hw]);
  const dy = be.tensor(randomArray(CONV.n * CONV.cout * CONV.hw * CONV.hw, 3), [CONV.n, CONV.cout, CONV.hw, CONV.hw]);
  return {
    backend: label(be),
    threads: threads(be),
    async run() {
      const run = model.forward({ input: x }, { mode: 'train', forBackward: backward });
      if (backward) run.backward({ seeds: { [model.outputs[0]]: dy }, inputs: ['input'] }).dispose();
      await be.sync();
      run.dispose();
    },
    dispose() {
      model.dispose();
      x.dispose();
      dy.dispose();
    },
  };
}

export const workloads: Workload[] = [
  {
    id: 'WG1',
    name: 'GEMM 256x256x256 float32 (WebGPU)',
    flops: 2 * 256 ** 3,
    async setup() {
      const be = await gpu();
      const a = be.tensor(randomArray(256 * 256, 1), [256, 256]);
      const b = be.tensor(randomArray(256 * 256, 2), [256, 256]);
      return {
        backend: label(be),
        threads: threads(be),
        async run() {
          const c = be.blocks.gemm(a, b);
          await be.sync();
          c.dispose();
        },
      };
    },
  },
  {
    id: 'WG2',
    name: `Conv 3x3 forward, batch ${CONV.n}, ${CONV.cin}->${CONV.cout} channels, ${CONV.hw}x${CONV.hw} (WebGPU)`,
    flops: CONV_FLOPS,
    images: CONV.n,
    setup: () => convSetup(false),
  },
  {
    id: 'WG3',
    name: `Conv 3x3 forward+backward (dx, dW, dB), batch ${CONV.n}, ${CONV.cin}->${CONV.cout}, ${CONV.hw}x${CONV.hw} (WebGPU)`,
    flops: 3 * CONV_FLOPS,
    images: CONV.n,
    setup: () => convSetup(true),
  },
  {
    id: 'WG4',
    name: 'Convnet training step (conv 3x3 1->8, relu, maxpool, linear 392->10, softmax CE, SGD), batch 32 of 1x14x14 (WebGPU)',
    examples: 32,
    async setup() {
      const be = await gpu();
      const model = new Sequential([null, 1, 14, 14], { registry })
        .add(Conv, { outChannels: 8, kernelShape: [3, 3], pads: [1, 1, 1, 1] })
        .add(Relu)
        .add(MaxPool, { kernelShape: [2, 2], strides: [2, 2] })
        .add(Flatten)
        .add(Linear, { outFeatures: 10 })
        .build({ backend: be, seed: 1 });
      const r = new Rng(5);
      const data = new ArrayDataset(randomArray(32 * 196, 6), [1, 14, 14], Int32Array.from({ length: 32 }, () => r.int(10)), [], 10);
      const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.01, momentum: 0.9 }) });
      // One epoch of one batch = one step; the trainer reads the loss back, which syncs.
      return {
        backend: label(be),
        threads: threads(be),
        run: async () => void (await trainer.fit({ train: data, epochs: trainer.epoch + 1, batchSize: 32 })),
      };
    },
  },
];
