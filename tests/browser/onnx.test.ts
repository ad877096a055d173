// ONNX in Chromium: a trained convnet exported to bytes and imported back (@hubel/io, protobufjs in
// the page) gives bit-identical outputs and gradients on the CPU backend, and on WebGPU when the
// page has an adapter; files that are not ONNX, or use operators Hubel lacks, fail with
// errors that name the problem.
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { Adam, ArrayDataset, Registry, Rng, Trainer, type Backend, type Model, type Tensor } from '@hubel/core';
import { decodeModel, encodeModel, exportOnnx, importOnnx, UnsupportedOnnxError } from '@hubel/io';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { fashionNet, zooPlugins } from '@hubel/models';
import { describe, expect, it } from 'vitest';
import { sample } from './sample.js';

const SEED = 11;
const registry = new Registry().use(cpuBackend, ...zooPlugins);
const gpu = await gpuBackendOrSkip();

/**
 * A reduced Fashion convnet after `steps` Adam steps of 16 sample images (so weights and
 * batch-norm statistics are not their initial values). Few steps on WebGPU: SwiftShader takes
 * about a second per step of this net (its 28×28 convolutions dominate).
 */
async function trained(backend: Backend, steps: number): Promise<Model> {
  const model = fashionNet({ channels: [4, 8], hidden: 32 }).build({ backend, seed: SEED });
  const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 2e-3 }), seed: SEED });
  const train = (await sample('train')).dataset;
  const n = 16 * steps;
  await trainer.fit({ train: new ArrayDataset(train.x.slice(0, n * 784), [1, 28, 28], train.y.slice(0, n), [], 10), epochs: 1, batchSize: 16 });
  trainer.optimizer.dispose();
  return model;
}

/** Eval-mode scores for the first n test images, and train-mode gradients of Σ r·scores (r seeded). */
async function outputsAndGrads(model: Model, n: number): Promise<{ scores: Float32Array; grads: Record<string, Float32Array> }> {
  const backend = model.backend;
  const test = (await sample('test')).dataset;
  const x = backend.tensor(test.x.subarray(0, n * 784), [n, 1, 28, 28]);
  const predicted = model.predict(x);
  const scores = Float32Array.from(await predicted.read());
  predicted.dispose();
  const run = model.forward({ input: x }, { mode: 'train', rng: new Rng(SEED), forBackward: true });
  const y = run.get(model.outputs[0]);
  const r = new Rng(SEED + 1);
  const seed: Tensor = backend.tensor(Float32Array.from({ length: y.size }, () => r.range(-1, 1)), y.shape);
  const g = run.backward({ seeds: { [model.outputs[0]]: seed }, inputs: ['input'] });
  const grads: Record<string, Float32Array> = {};
  for (const [k, t] of g.params) grads[k] = Float32Array.from(await t.read());
  for (const [k, t] of g.inputs) grads[`input:${k}`] = Float32Array.from(await t.read());
  g.dispose();
  run.dispose();
  seed.dispose();
  x.dispose();
  return { scores, grads };
}

describe('ONNX export → import in Chromium', () => {
  it(`CPU: a trained reduced Fashion convnet round-trips with bit-identical outputs and gradients (seed ${SEED})`, async () => {
    const backend = createCpuBackend();
    const model = await trained(backend, 10);
    const bytes = await exportOnnx(model);
    expect(bytes.length).toBeGreaterThan(1000);
    const back = importOnnx(bytes, { registry, backend, file: 'model.onnx', seed: SEED });
    expect(back.nodes.map((n) => n.layer.type)).toEqual(model.nodes.map((n) => n.layer.type));
    const a = await outputsAndGrads(model, 64);
    const b = await outputsAndGrads(back, 64);
    // Same kernels on the same weights: nothing may differ, not even the last bit.
    expect(b.scores).toEqual(a.scores);
    expect(Object.keys(b.grads).sort()).toEqual(Object.keys(a.grads).sort());
    for (const k of Object.keys(a.grads)) expect(b.grads[k], k).toEqual(a.grads[k]);
    model.dispose();
    back.dispose();
  });

  gpu.describe(describe, 'WebGPU', (backend) => {
    it(`a model trained on Chromium WebGPU round-trips through ONNX with bit-identical outputs (seed ${SEED})`, async () => {
      const model = await trained(backend, 2);
      const bytes = await exportOnnx(model);
      const gpuRegistry = new Registry().use(...zooPlugins);
      const back = importOnnx(bytes, { registry: gpuRegistry, backend, file: 'model.onnx', seed: SEED });
      const a = await outputsAndGrads(model, 8);
      const b = await outputsAndGrads(back, 8);
      expect(b.scores).toEqual(a.scores);
      for (const k of Object.keys(a.grads)) expect(b.grads[k], k).toEqual(a.grads[k]);
      model.dispose();
      back.dispose();
    });
  });

  it('a file that is not ONNX is refused with an error naming the file', () => {
    const notOnnx = new TextEncoder().encode('PK\u0003\u0004 this is a zip, not a model');
    expect(() => importOnnx(notOnnx, { registry, backend: createCpuBackend(), file: 'photo.zip' })).toThrowError(/^photo\.zip: /);
  });

  it('a model with an operator Hubel lacks is refused with UnsupportedOnnxError listing it', async () => {
    const backend = createCpuBackend();
    const model = fashionNet({ channels: [2, 2], hidden: 4 }).build({ backend, seed: SEED });
    const proto = decodeModel(await exportOnnx(model));
    const relu = proto.graph.nodes.findIndex((n) => n.opType === 'Relu');
    const nodes = proto.graph.nodes.map((n, i) => (i === relu ? { ...n, opType: 'Hardmax' } : n));
    const bytes = encodeModel({ ...proto, graph: { ...proto.graph, nodes } });
    let err: unknown;
    try {
      importOnnx(bytes, { registry, backend, file: 'odd.onnx' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOnnxError);
    expect((err as UnsupportedOnnxError).unsupported).toEqual(['Hardmax']);
    expect((err as Error).message).toMatch(/^odd\.onnx: unsupported ONNX operator\(s\): Hardmax/);
    model.dispose();
  });
});
