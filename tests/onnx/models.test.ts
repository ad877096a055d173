// Whole models: an MLP, a LeNet-style convnet and AlexNet at reduced width. Each is exported,
// run in ONNX Runtime and compared with Hubel's CPU forward; and exported → imported, after
// which outputs and every gradient must be identical to the original's.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng, Sequential, sizeOf, type Model } from '@hubel/core';
import { exportOnnx, importOnnx, inspectOnnx } from '@hubel/io';
import { Relu, Softmax, Tanh } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Dropout, Flatten, Linear } from '@hubel/layers-dense';
import { BatchNormalization, LRN } from '@hubel/layers-norm';
import { AveragePool, MaxPool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { fullRegistry, runModel, runOrt, scaledError, type HostValue } from './helpers.js';

const registry = fullRegistry();

const models: Record<string, { shape: number[]; build: (seed: number) => Model }> = {
  'MLP 20→16→10': {
    shape: [4, 20],
    build: (seed) =>
      new Sequential([null, 20], { registry }).add(Linear, { outFeatures: 16 }, 'fc1').add(Tanh, undefined, 'tanh1').add(Dropout, { ratio: 0.3 }, 'drop1').add(Linear, { outFeatures: 10 }, 'fc2').add(Softmax, undefined, 'prob').build({ backend: createCpuBackend(), seed }),
  },
  'LeNet-style convnet on 1×12×12': {
    shape: [2, 1, 12, 12],
    build: (seed) =>
      new Sequential([null, 1, 12, 12], { registry })
        .add(Conv, { outChannels: 4, kernelShape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1')
        .add(Relu, undefined, 'relu1')
        .add(MaxPool, { kernelShape: [2, 2], strides: [2, 2] }, 'pool1')
        .add(Conv, { outChannels: 6, kernelShape: [3, 3] }, 'conv2')
        .add(BatchNormalization, undefined, 'bn2')
        .add(Relu, undefined, 'relu2')
        .add(AveragePool, { kernelShape: [2, 2], strides: [2, 2] }, 'pool2')
        .add(Flatten, undefined, 'flat')
        .add(Linear, { outFeatures: 10 }, 'fc')
        .build({ backend: createCpuBackend(), seed }),
  },
  'AlexNet at 1/16 width on 3×35×35': {
    shape: [2, 3, 35, 35],
    build: (seed) =>
      new Sequential([null, 3, 35, 35], { registry })
        .add(Conv, { outChannels: 6, kernelShape: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2] }, 'conv1')
        .add(Relu, undefined, 'relu1')
        .add(LRN, { size: 5, alpha: 5e-4, beta: 0.75, bias: 2 }, 'norm1')
        .add(MaxPool, { kernelShape: [3, 3], strides: [2, 2] }, 'pool1')
        .add(Conv, { outChannels: 16, kernelShape: [3, 3], pads: [1, 1, 1, 1], group: 2 }, 'conv2')
        .add(Relu, undefined, 'relu2')
        .add(LRN, { size: 5, alpha: 5e-4, beta: 0.75, bias: 2 }, 'norm2')
        .add(MaxPool, { kernelShape: [3, 3], strides: [2, 2] }, 'pool2')
        .add(Conv, { outChannels: 24, kernelShape: [3, 3], pads: [1, 1, 1, 1] }, 'conv3')
        .add(Relu, undefined, 'relu3')
        .add(Conv, { outChannels: 16, kernelShape: [3, 3], pads: [1, 1, 1, 1], group: 2 }, 'conv4')
        .add(Relu, undefined, 'relu4')
        .add(MaxPool, { kernelShape: [3, 3], strides: [2, 2], ceilMode: true }, 'pool5')
        .add(Flatten, undefined, 'flat')
        .add(Linear, { outFeatures: 32 }, 'fc6')
        .add(Relu, undefined, 'relu6')
        .add(Dropout, { ratio: 0.5 }, 'drop6')
        .add(Linear, { outFeatures: 10 }, 'fc8')
        .add(Softmax, undefined, 'prob')
        .build({ backend: createCpuBackend(), seed }),
  },
};

function input(shape: number[], seed: number): Record<string, HostValue> {
  const r = new Rng(seed);
  return { input: { shape, values: Float64Array.from({ length: sizeOf(shape) }, () => r.normal()), dtype: 'float' } };
}

describe('whole models', () => {
  for (const [name, { shape, build }] of Object.entries(models)) {
    const seed = 21;
    it(`${name}: ONNX Runtime output matches Hubel (seed ${seed})`, async () => {
      const model = build(seed);
      const feeds = input(shape, seed);
      const ours = await runModel(model, feeds, { mode: 'eval', seed, backward: false });
      const theirs = await runOrt(await exportOnnx(model), feeds);
      const out = model.outputs[0];
      // Same derivation as the layer cases (helpers.ts), with the longest reduction here the
      // 32-term dot products and 24·9-term convolutions: well inside 1e-4 of the output scale.
      const err = scaledError(ours.outputs[out], theirs[out].values);
      expect(err, `${name} (seed ${seed}): scaled error ${err}`).toBeLessThanOrEqual(1e-4);
    });
    it(`${name}: export → import gives identical outputs and gradients in training mode (seed ${seed})`, async () => {
      const model = build(seed);
      const copy = importOnnx(await exportOnnx(model), { registry, backend: model.backend, file: `${name}.onnx` });
      expect(copy.params().map((p) => [p.key, p.trainable])).toEqual(model.params().map((p) => [p.key, p.trainable]));
      const feeds = input(shape, seed);
      const a = await runModel(model, feeds, { mode: 'train', seed, backward: true });
      const b = await runModel(copy, feeds, { mode: 'train', seed, backward: true });
      expect(Object.keys(b.grads).sort()).toEqual(Object.keys(a.grads).sort());
      for (const k of Object.keys(a.outputs)) expect(Array.from(b.outputs[k]), `output ${k}`).toEqual(Array.from(a.outputs[k]));
      for (const k of Object.keys(a.grads)) expect(Array.from(b.grads[k]), `gradient ${k}`).toEqual(Array.from(a.grads[k]));
    });
  }

  it('inspectOnnx lists opset, inputs and outputs with shapes, nodes and the parameter count', async () => {
    const model = models['LeNet-style convnet on 1×12×12'].build(1);
    const text = inspectOnnx(await exportOnnx(model), 'lenet.onnx');
    // Parameter count from the architecture: conv1 4·1·9+4, conv2 6·4·9+6, bn2 4·6 (two of them
    // statistics), fc 10·(6·2·2)+10.
    const expected = 4 * 9 + 4 + 6 * 4 * 9 + 6 + 4 * 6 + 10 * 24 + 10;
    expect(text).toContain(`${expected} parameters`);
    expect(text).toMatch(/opsets: ai\.onnx \d+/);
    expect(text).toContain('input: FLOAT [N, 1, 12, 12]');
    expect(text).toContain('fc: FLOAT [N, 10]');
    expect(text).toContain('conv1: Conv(input, conv1.W, conv1.B) → conv1');
  });
});
