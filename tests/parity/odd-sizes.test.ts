// Parity on sizes that are not multiples of any workgroup or tile size (GEMM tiles are 64×64
// with a k step of 16; elementwise and reduction workgroups hold 256 invocations), run through
// `parityPlugin` on a plugin of extra cases, the way a third-party package checks its layers.
import { createCpuBackend } from '@hubel/backend-cpu';
import { gpuBackendOrSkip, parityPlugin } from '@hubel/backend-webgpu/testing';
import { defineCases, definePlugin } from '@hubel/core';
import { Relu, Softmax } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Linear } from '@hubel/layers-dense';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { MaxPool } from '@hubel/layers-pool';
import { describe, it } from 'vitest';
import { layerPlugins } from './plugins.js';

const oddSizes = definePlugin({
  name: 'parity-odd-sizes',
  cases: [
    ...defineCases(Linear, [
      { name: '131 → 67, batch 5 (k and n past one tile, k not a multiple of 16)', attrs: { outFeatures: 67 }, inputs: [[5, 131]] },
      { name: '3 → 1, batch 70 (m past one 64-row tile)', attrs: { outFeatures: 1 }, inputs: [[70, 3]] },
    ]),
    ...defineCases(Conv, [{ name: '5×3 kernel stride 2 on 17×13, 3 → 5 (L = 42)', attrs: { outChannels: 5, kernelShape: [5, 3], strides: [2, 2], pads: [2, 1, 2, 1] }, inputs: [[2, 3, 17, 13]] }]),
    ...defineCases(Relu, [{ name: '[3, 301]: 903 elements, not a multiple of 256', inputs: [[3, 301]] }]),
    ...defineCases(Softmax, [{ name: 'rows of 257 (workgroup-per-row reduction, 257 = 256 + 1)', inputs: [[3, 257]] }]),
    ...defineCases(SoftmaxCrossEntropy, [{ name: '67 samples × 5 classes', inputs: [[67, 5], { shape: [67], values: { labels: 5 } }] }]),
    ...defineCases(MaxPool, [{ name: '3×3 stride 2 on 17×15', attrs: { kernelShape: [3, 3], strides: [2, 2] }, inputs: [[1, 2, 17, 15]] }]),
  ],
});

const gpu = await gpuBackendOrSkip();
const cpu = createCpuBackend();

gpu.describe(describe, 'odd sizes: CPU float32 vs WebGPU', (backend) => {
  parityPlugin(oddSizes, { test: it, backend: () => backend, reference: () => cpu, with: layerPlugins });
});
