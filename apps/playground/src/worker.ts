// The playground's training worker: owns the backend, the data, the model and the Trainer, so
// the page stays responsive while a convnet trains. One worker per (backend, model) choice; the
// page terminates it to switch, after asking it to free what it holds ('shutdown').
import { cpuBackend, createCpuBackend, gemmThreadsReady } from '@hubel/backend-cpu';
import { createWebGpuBackend, webgpuBackend, type WebGpuBackend } from '@hubel/backend-webgpu';
import { Adam, ArrayDataset, HubelError, Registry, Trainer, type Backend, type GraphBuilder, type Model, type TrainerState } from '@hubel/core';
import { fetchMnist, trainValidationSplit, type ImageSet } from '@hubel/data/browser';
import { exportOnnx, importOnnx } from '@hubel/io';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { BatchNormFinalizer } from '@hubel/layers-norm';
import { tensorLayers } from '@hubel/layers-tensor';
import { fashionNet, lenet5, mlp, zooPlugins } from '@hubel/models';
import { filterGrid, firstConvNode, tileGrid, type Image } from '@hubel/viz';
import type { BackendChoice, FromWorker, GrayImage, LayerMaps, ModelChoice, ModelSource, ToWorker } from './protocol.js';

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null; close(): void };
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

const BUILDERS: Record<ModelChoice, { label: string; build: () => GraphBuilder }> = {
  fashion: { label: 'Fashion-MNIST convnet', build: () => fashionNet() },
  lenet: { label: 'LeNet-5 (ReLU, max pooling)', build: () => lenet5({ activation: 'relu' }) },
  mlp: { label: 'MLP 784-256-128-10', build: () => mlp() },
};

interface Current {
  readonly model: Model;
  readonly source: ModelSource;
  readonly name: string;
  /** How a 1×28×28 image is fed: as is, or flattened to 784 values. */
  readonly feed: 'image' | 'flat';
}

let backend: Backend | undefined;
let registry: Registry | undefined;
let data: { train: ArrayDataset; validation: ArrayDataset; test: ImageSet } | undefined;
let trained: Model | undefined;
let trainer: Trainer | undefined;
let lr = 1e-3;
let resume: TrainerState | undefined;
let running: Promise<void> | undefined;
let loaded: Current | undefined;
let current: Current | undefined;
let modelChoice: ModelChoice = 'fashion';
let seed = 1;

scope.onmessage = (e) => void handle(e.data);
post({ type: 'alive' });

async function handle(m: ToWorker): Promise<void> {
  const where = ({ init: 'init', train: 'train', pause: 'train', setLr: 'train', featureMaps: 'maps', classify: 'classify', export: 'export', load: 'load', shutdown: 'train' } as const)[m.type];
  try {
    if (m.type === 'init') await init(m.backend, m.model, m.dataUrl, m.seed);
    else if (m.type === 'train') train(m.epochs, m.batchSize, m.lr);
    else if (m.type === 'pause') trainer?.requestStop('pause');
    else if (m.type === 'setLr') setLr(m.lr);
    else if (m.type === 'featureMaps') await featureMaps(m.index);
    else if (m.type === 'classify') await classify(m.pixels);
    else if (m.type === 'export') await exportModel();
    else if (m.type === 'load') await load(m.name, m.bytes);
    else if (m.type === 'shutdown') await shutdown();
  } catch (e) {
    post({ type: 'error', where, message: (e as Error).message ?? String(e) });
  }
}

async function init(choice: BackendChoice, model: ModelChoice, dataUrl: string, s: number): Promise<void> {
  modelChoice = model;
  seed = s;
  registry = new Registry().use(cpuBackend, webgpuBackend, ...zooPlugins, tensorLayers);
  backend = choice === 'webgpu' ? await createWebGpuBackend() : createCpuBackend();
  // The CPU backend's GEMM workers start asynchronously (this worker may block, the page's main
  // thread may not): training uses them once they are up, and the description then counts them.
  if (choice !== 'webgpu') await gemmThreadsReady();
  const [train, test] = await Promise.all([fetchMnist(dataUrl, { split: 'train' }), fetchMnist(dataUrl, { split: 'test' })]);
  const split = trainValidationSplit(train.dataset, { validation: 0.1, seed });
  data = { train: split.train, validation: split.validation, test };
  trained = BUILDERS[model].build().build({ backend, seed });
  current = { model: trained, source: 'trained', name: BUILDERS[model].label, feed: 'image' };
  const software = choice === 'webgpu' && (backend as WebGpuBackend).software;
  post({ type: 'ready', backend: backend.description, software, model: BUILDERS[model].label, params: trained.paramCount(), train: split.train.length, validation: split.validation.length, test: test.dataset.length });
  post({ type: 'state', state: 'idle' });
  await sendFilters(trained);
}

function setLr(value: number): void {
  if (!(value > 0 && Number.isFinite(value))) throw new HubelError('attribute', `learning rate must be a positive number, found ${value}`);
  lr = value;
  // Takes effect at the next step; the learningRate tap keeps it for later epochs.
  if (trainer) trainer.optimizer.lr = value;
}

function train(epochs: number, batchSize: number, rate: number): void {
  if (running) return;
  if (!backend || !data || !trained) throw new HubelError('backend', 'the worker is not initialized');
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new HubelError('attribute', `epochs must be a positive integer, found ${epochs}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 1024)) throw new HubelError('attribute', `batch size must be an integer in [1, 1024], found ${batchSize}`);
  setLr(rate);
  if (!trainer) {
    trainer = new Trainer({ model: trained, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr }), seed, plugins: [new BatchNormFinalizer()] });
    trainer.hooks.learningRate.tap('PlaygroundLr', () => lr);
    let lastFilters = 0;
    trainer.hooks.batchEnd.tap('PlaygroundProgress', (b) => {
      post({ type: 'batch', epoch: b.epoch, batch: b.batch, batches: b.batches, step: b.step, loss: b.loss, error: b.error, imagesPerSecond: b.examplesPerSecond });
      const now = performance.now();
      if (now - lastFilters > 500) {
        lastFilters = now;
        void sendFilters(trained!);
      }
    });
    trainer.hooks.epochEnd.tap('PlaygroundProgress', (s) => {
      post({ type: 'epoch', epoch: s.epoch, epochs: s.epochs, step: trainer!.optimizer.stepCount, trainLoss: s.trainLoss, trainError: s.trainError, valLoss: s.valLoss, valError: s.valError, imagesPerSecond: s.examplesPerSecond });
    });
  }
  const t = trainer;
  post({ type: 'state', state: 'training' });
  running = (async () => {
    const summary = await t.fit({ train: data!.train, validation: data!.validation, epochs, batchSize, resume, evalBatchSize: 200 });
    if (summary.stopReason === 'shutdown') return;
    if (summary.stopReason === 'pause') {
      resume = await t.state();
      post({ type: 'state', state: 'paused' });
      return;
    }
    resume = undefined;
    await sendFilters(trained!);
    current = { model: trained!, source: 'trained', name: BUILDERS[modelChoice].label, feed: 'image' };
    await evaluate(current);
    post({ type: 'state', state: 'done' });
  })()
    .catch((e: unknown) => {
      post({ type: 'error', where: 'train', message: (e as Error).message });
      post({ type: 'state', state: 'paused' });
    })
    .finally(() => {
      running = undefined;
    });
}

/** Stops a running fit after its current batch and waits for it. */
async function stopTraining(reason: 'pause' | 'shutdown'): Promise<void> {
  if (!running) return;
  trainer?.requestStop(reason);
  await running;
}

async function sendFilters(model: Model): Promise<void> {
  let image: Image | undefined;
  const conv = firstConvNode(model);
  if (conv?.params.W) {
    image = filterGrid(await conv.params.W.read(), conv.params.W.shape, { scale: 8, gap: 2, columns: 8 });
  } else {
    // No convolution (the MLP): the first fully connected layer's weights over the 28×28
    // input, one tile per unit, as in the classic pictures of MNIST perceptrons.
    const fc = model.nodes.find((n) => n.params.W?.shape.length === 2 && n.params.W.shape[1] === 784);
    if (!fc) return;
    const units = Math.min(32, fc.params.W.shape[0]);
    image = tileGrid((await fc.params.W.read()).subarray(0, units * 784), units, 1, 28, 28, { columns: 8, scale: 2 });
  }
  post({ type: 'filters', image: gray(image) });
}

function gray(image: Image): GrayImage {
  if (image.channels === 1) return { width: image.width, height: image.height, data: image.data };
  const out = new Uint8Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((image.data[3 * i] + image.data[3 * i + 1] + image.data[3 * i + 2]) / 3);
  return { width: image.width, height: image.height, data: out };
}

/** Shapes `n` images of 1×28×28 the way the model takes them. */
function input(c: Current, pixels: ArrayLike<number>, n: number) {
  return backend!.tensor(pixels, c.feed === 'flat' ? [n, 784] : [n, 1, 28, 28]);
}

/** Predictions of `c` on the 1,000 test images; posts accuracy, predictions and the confusion matrix. */
async function evaluate(c: Current): Promise<void> {
  const test = data!.test.dataset;
  const n = test.length;
  const predictions = new Int32Array(n);
  const classes = data!.test.classNames.length;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let s = 0; s < n; s += 200) {
    const m = Math.min(200, n - s);
    const x = input(c, test.x.subarray(s * 784, (s + m) * 784), m);
    const y = c.model.predict(x);
    const scores = await y.read();
    x.dispose();
    y.dispose();
    const k = scores.length / m;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (scores[i * k + j] > scores[i * k + best]) best = j;
      predictions[s + i] = best;
      const label = test.y[s + i];
      if (best === label) correct++;
      confusion[label][best]++;
    }
  }
  post({ type: 'evaluation', source: c.source, name: c.name, correct, total: n, predictions, confusion });
}

async function featureMaps(index: number): Promise<void> {
  const c = current!;
  const test = data!.test.dataset;
  if (!(Number.isInteger(index) && index >= 0 && index < test.length)) throw new HubelError('attribute', `no test image ${index}`);
  const x = input(c, test.x.slice(index * 784, (index + 1) * 784), 1);
  const run = c.model.forward({ [c.model.inputs[0].name]: x }, { mode: 'eval' });
  const layers: LayerMaps[] = [];
  try {
    for (const node of c.model.nodes) {
      const t = run.get(node.outputs[0]);
      const values = await t.read();
      if (t.shape.length === 4) {
        const [, ch, h, w] = t.shape;
        const shown = Math.min(ch, 32);
        layers.push({ name: node.name, op: node.layer.type, shape: t.shape, image: gray(tileGrid(values, shown, 1, h, w, { columns: Math.min(shown, 8), scale: Math.max(1, Math.round(28 / w)) })) });
      } else if (t.shape.length === 2) {
        const k = t.shape[1];
        layers.push({ name: node.name, op: node.layer.type, shape: t.shape, image: gray(tileGrid(values, 1, 1, 1, k, { scale: Math.max(1, Math.min(8, Math.floor(256 / k))), gap: 0 })) });
      }
    }
  } finally {
    run.dispose();
    x.dispose();
  }
  post({ type: 'maps', index, layers });
}

async function classify(pixels: Float32Array): Promise<void> {
  const c = current!;
  if (pixels.length !== 784) throw new HubelError('shape', `expected 784 pixels (28×28), found ${pixels.length}`);
  const x = input(c, pixels, 1);
  const y = c.model.predict(x);
  const scores = Array.from(await y.read());
  x.dispose();
  y.dispose();
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  post({ type: 'classified', probabilities: exps.map((e) => e / sum) });
}

async function exportModel(): Promise<void> {
  const c = current;
  if (!c) throw new HubelError('graph', 'no model to export');
  if (running) await stopTraining('pause');
  const bytes = await exportOnnx(c.model, {
    metadata: {
      'hubel.model': c.name,
      'hubel.labels': JSON.stringify(data!.test.classNames),
      'hubel.input': 'float32 [N, 1, 28, 28], pixel values scaled to [0, 1]',
      'hubel.output': 'class scores (logits; softmax gives probabilities)',
    },
  });
  post({ type: 'onnx', bytes }, [bytes.buffer]);
}

/** How a loaded model takes a 28×28 gray image, or an error naming what it expects instead. */
function feedOf(model: Model, name: string): 'image' | 'flat' {
  if (model.inputs.length !== 1) throw new HubelError('shape', `${name} has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}); this page feeds one image`);
  const shape = model.inputs[0].shape;
  const fits = (d: number | null, want: number) => d === null || d === want;
  if (shape.length === 4 && fits(shape[1], 1) && fits(shape[2], 28) && fits(shape[3], 28)) return 'image';
  if (shape.length === 2 && fits(shape[1], 784)) return 'flat';
  const dims = shape.map((d, i) => (d === null ? (i === 0 ? 'N' : '?') : String(d))).join(', ');
  throw new HubelError('shape', `${name} takes input '${model.inputs[0].name}' of shape [${dims}]; this page can feed [N, 1, 28, 28] or [N, 784] (28×28 gray images)`);
}

async function load(name: string, bytes: Uint8Array): Promise<void> {
  if (running) await stopTraining('pause');
  const model = importOnnx(bytes, { registry: registry!, backend: backend!, file: name, seed });
  let feed: 'image' | 'flat';
  try {
    feed = feedOf(model, name);
    // One image through it: the output must be one score per class of the sample.
    const c: Current = { model, source: 'loaded', name, feed };
    const x = input(c, data!.test.dataset.x.slice(0, 784), 1);
    const y = model.predict(x);
    const shape = y.shape;
    x.dispose();
    y.dispose();
    const classes = data!.test.classNames.length;
    if (shape.length !== 2 || shape[1] !== classes) throw new HubelError('shape', `${name} outputs [${shape.join(', ')}] for one image; the sample has ${classes} classes, so [1, ${classes}] is needed`);
  } catch (e) {
    model.dispose();
    throw e;
  }
  if (loaded) loaded.model.dispose();
  loaded = { model, source: 'loaded', name, feed };
  current = loaded;
  const ops = [...new Set(model.nodes.map((n) => n.layer.type))];
  post({ type: 'loaded', name, ops, input: `[${model.inputs[0].shape.map((d) => d ?? 'N').join(', ')}]` });
  await sendFilters(model);
  await evaluate(loaded);
}

/** Stops training and frees everything this worker holds on its backend, then reports what is left. */
async function shutdown(): Promise<void> {
  await stopTraining('shutdown');
  trainer?.optimizer.dispose();
  trained?.dispose();
  loaded?.model.dispose();
  trainer = undefined;
  trained = loaded = current = undefined;
  const live = backend?.stats().liveTensors ?? 0;
  (backend as { dispose?: () => void } | undefined)?.dispose?.();
  post({ type: 'closed', liveTensors: live });
}
