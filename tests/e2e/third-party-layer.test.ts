// A layer written outside Hubel's packages, the way a third party would: definition, CPU
// kernel, cases, plugin. It registers, trains and passes the gradient checker with no change
// to core.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, attr, defineCases, defineKernel, defineLayer, definePlugin, Registry, Rng, Sequential, Sgd, Trainer } from '@hubel/core';
import { checkModelGradients, gradcheckPlugin } from '@hubel/core/testing';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

/** Swish with a learned slope per feature: y = x·σ(β·x), β shaped like one example. */
const Swish = defineLayer({
  domain: 'com.example',
  type: 'Swish',
  attrs: { beta0: attr.float({ default: 1 }) },
  params: (a, [x]) => ({ beta: { shape: x.slice(1), init: { kind: 'constant', value: a.beta0 } } }),
  inferShapes: (_a, [x]) => [x],
});

// ∂y/∂x = σ + βxσ(1−σ); ∂y/∂β = x²σ(1−σ), summed over the batch.
const swishCpu = defineKernel(Swish, 'cpu', {
  forward({ backend, inputs: [x], params: { beta } }) {
    const y = backend.alloc(x.shape);
    const s = backend.alloc(x.shape);
    const xs = backend.data(x), bs = backend.data(beta), ys = backend.data(y), ss = backend.data(s);
    const per = bs.length;
    for (let i = 0; i < xs.length; i++) {
      ss[i] = 1 / (1 + Math.exp(-bs[i % per] * xs[i]));
      ys[i] = xs[i] * ss[i];
    }
    return { outputs: [y], saved: { s } };
  },
  backward({ backend, inputs: [x], params: { beta }, saved: { s }, dOutputs: [dy], wants }) {
    const xs = backend.data(x), bs = backend.data(beta), ss = backend.data(s), d = backend.data(dy);
    const per = bs.length;
    const dx = backend.alloc(x.shape);
    const dB = backend.zeros(beta.shape);
    const o = backend.data(dx), ob = backend.data(dB);
    for (let i = 0; i < xs.length; i++) {
      const g = ss[i] * (1 - ss[i]);
      o[i] = d[i] * (ss[i] + bs[i % per] * xs[i] * g);
      ob[i % per] += d[i] * xs[i] * xs[i] * g;
    }
    return { dInputs: [wants.inputs[0] ? dx : (dx.dispose(), undefined)], dParams: { beta: dB } };
  },
});

const exampleLayers = definePlugin({
  name: 'example-swish',
  layers: [Swish],
  kernels: [swishCpu],
  cases: defineCases(Swish, [
    { name: 'batch 3 × 4 features', inputs: [[3, 4]] },
    { name: 'NCHW 2×2×3×3, beta0 0.5', attrs: { beta0: 0.5 }, inputs: [[2, 2, 3, 3]] },
  ]),
});

describe('a third-party layer', () => {
  // The same one-call suite Hubel's own packages use.
  gradcheckPlugin(exampleLayers, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }), with: [cpuBackend] });

  const registry = new Registry().use(cpuBackend, denseLayers, lossLayers, exampleLayers);

  it('passes a whole-graph gradient check inside a model', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 3], { registry }).add(Linear, { outFeatures: 5 }).add(Swish).add(Linear, { outFeatures: 2 }).build({ backend, seed: 4 });
    const r = new Rng(9);
    const report = await checkModelGradients(model, {
      feeds: { input: { shape: [4, 3], values: Float64Array.from({ length: 12 }, () => r.normal()) } },
      differentiate: ['input'],
    });
    expect(report.ok, report.summary).toBe(true);
    expect(report.entries.map((e) => e.name)).toEqual(['input', 'gemm1.W', 'gemm1.B', 'swish1.beta', 'gemm2.W', 'gemm2.B']);
  });

  it('trains in a model: the loss falls on a separable task', async () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 2], { registry }).add(Linear, { outFeatures: 6 }).add(Swish).add(Linear, { outFeatures: 2 }).build({ backend, seed: 5 });
    const r = new Rng(5);
    const x = Float32Array.from({ length: 200 }, () => r.normal());
    const y = Int32Array.from({ length: 100 }, (_, i) => (x[2 * i] + x[2 * i + 1] > 0 ? 1 : 0));
    const data = new ArrayDataset(x, [2], y, [], 2);
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.2, momentum: 0.9 }), seed: 5 });
    const s = await trainer.fit({ train: data, epochs: 30, batchSize: 10 });
    expect(s.history.at(-1)!.trainLoss).toBeLessThan(s.history[0].trainLoss / 3);
    expect((await trainer.evaluate(data, 100)).error).toBeLessThan(0.05);
    // β moved: its gradient reached the optimizer.
    expect(Array.from(await model.node('swish1').params.beta.read()).some((b) => Math.abs(b - 1) > 1e-3)).toBe(true);
  });
});
