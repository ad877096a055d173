// Chromium's own WebGPU (navigator.gpu; on machines without a GPU that is SwiftShader, a software
// renderer): the CPU-vs-WebGPU parity suite on every layer case, and a small convnet whose
// training on WebGPU tracks the CPU run with a flat number of GPU buffers. Under CI=true a
// missing adapter fails the file (gpuBackendOrSkip); elsewhere the suites skip with the reason.
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { webgpuBackend, type WebGpuBackend } from '@hubel/backend-webgpu';
import { gpuBackendOrSkip, parityPlugin } from '@hubel/backend-webgpu/testing';
import { ArrayDataset, Registry, Sequential, Sgd, Trainer, type Backend } from '@hubel/core';
import { Relu } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Flatten, Linear } from '@hubel/layers-dense';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { MaxPool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { layerPlugins } from '../parity/plugins.js';
import { quadrantDataset } from '../parity/quadrant-dataset.js';

const gpu = await gpuBackendOrSkip();
const cpu = createCpuBackend();
const registry = new Registry().use(...layerPlugins);

describe('WebGPU in Chromium', () => {
  it(gpu.backend ? `has an adapter: ${gpu.backend.description}` : `has no adapter here: ${gpu.reason}`, () => {
    if (!gpu.backend) {
      console.warn(`[browser] WebGPU suites skipped: ${gpu.reason}`);
      return;
    }
    console.info(`[browser] WebGPU adapter: ${gpu.backend.description} (software renderer: ${gpu.backend.software})`);
    expect('gpu' in navigator).toBe(true);
    expect(gpu.backend.description.length).toBeGreaterThan(0);
  });
});

// The whole parity suite of tests/parity (every case of every layer plugin), here on Chromium's
// WebGPU instead of Dawn in Node. Each case's tolerance is derived in parityTolerance.
for (const plugin of layerPlugins) {
  const cases = (plugin.cases ?? []).filter((c) => registry.hasKernel(c.layer, 'webgpu'));
  if (!cases.length) continue;
  gpu.describe(describe, `${plugin.name}: CPU float32 vs Chromium WebGPU`, (backend) => {
    parityPlugin(plugin, { test: it, backend: () => backend, reference: () => cpu, with: layerPlugins, cases, timeoutMs: 120_000 });
  });
}

const SEED = 7;


async function train(backend: Backend, data: ArrayDataset, epochs: number) {
  const registry = new Registry().use(cpuBackend, webgpuBackend, ...layerPlugins);
  const model = new Sequential([null, 1, 6, 6], { registry })
    .add(Conv, { outChannels: 4, kernelShape: [3, 3], pads: [1, 1, 1, 1] }, 'conv')
    .add(Relu)
    .add(MaxPool, { kernelShape: [2, 2], strides: [2, 2] })
    .add(Flatten)
    .add(Linear, { outFeatures: 3 }, 'fc')
    .build({ backend, seed: SEED });
  const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.05, momentum: 0.9 }), seed: SEED });
  const losses: number[] = [];
  trainer.hooks.batchEnd.tap('LossRecorder', (b) => void losses.push(b.loss));
  return { model, trainer, losses, fit: (upTo: number) => trainer.fit({ train: data, epochs: upTo, batchSize: 8 }), epochs };
}

gpu.describe(describe, 'training on Chromium WebGPU', (backend: WebGpuBackend) => {
  it(`a small convnet's losses over 16 SGD steps track the CPU float32 run, with no new GPU buffers after the first epoch (seed ${SEED})`, async () => {
    const data = quadrantDataset(32); // 4 steps per epoch
    const cpuRun = await train(createCpuBackend(), data, 4);
    const gpuRun = await train(backend, data, 4);
    await cpuRun.fit(4);
    await gpuRun.fit(1);
    const afterFirst = backend.stats();
    await gpuRun.fit(4);
    const afterAll = backend.stats();
    expect(gpuRun.losses.length).toBe(16);
    // Same derivation as tests/parity/training.test.ts: the runs differ by float32 summation
    // order (≲ 1e-6 relative per step for these ≤ 300-term sums), carried forward by SGD;
    // 1e-5·(1 + loss) leaves 10× room over 16 steps and is far below a wrong kernel's ≥ 1e-4.
    gpuRun.losses.forEach((l, i) => {
      const want = cpuRun.losses[i];
      if (!(Math.abs(l - want) <= 1e-5 * (1 + Math.abs(want)))) throw new Error(`step ${i}: WebGPU loss ${l}, CPU ${want} (seed ${SEED})`);
    });
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(mean(gpuRun.losses.slice(-4))).toBeLessThan(mean(gpuRun.losses.slice(0, 4)));
    expect(afterAll.buffersCreated).toBe(afterFirst.buffersCreated);
    expect(afterAll.liveTensors).toBe(afterFirst.liveTensors);
    expect(afterAll.pipelines).toBe(afterFirst.pipelines);
    for (const run of [cpuRun, gpuRun]) {
      run.trainer.optimizer.dispose();
      run.model.dispose();
    }
  });
});
