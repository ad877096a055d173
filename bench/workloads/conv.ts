// Convolution workloads (float32, NCHW, CPU), the ones the peers were measured on (issue 3):
// W1–W3 Conv forward through the executor (im2col + shared GEMM + layout change), W5 one
// LeNet-style training step and W6 its inference. FLOPs = 2·N·Cout·Ho·Wo·Cin·Kh·Kw/groups.
import { createCpuBackend, cpuBackend, gemmThreads } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential, Sgd, type Model, type Tensor } from '@hubel/core';
import { activationLayers, Relu } from '@hubel/layers-activation';
import { Conv, convLayers } from '@hubel/layers-conv';
import { denseLayers, Flatten, Linear } from '@hubel/layers-dense';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { MaxPool, poolLayers } from '@hubel/layers-pool';
import { modelPeerSpec, type Workload, type WorkloadInstance } from '../workload.js';

function randomArray(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** A timed forward pass of `model` on `input` (shape `shape`), with what `--peers` needs to rerun it. */
function inference(backend: ReturnType<typeof createCpuBackend>, model: Model, input: Float32Array, shape: number[]): WorkloadInstance {
  const x = backend.tensor(input, shape);
  return {
    backend: backend.description,
    threads: gemmThreads(),
    peer: modelPeerSpec(model, x, input),
    run: () => model.predict(x).dispose(),
    dispose() {
      x.dispose();
      model.dispose();
    },
  };
}

/** A Conv forward workload's shape: batch n of c×hw×hw → out channels, k×k kernel, pad on every side. */
export interface ConvLoad {
  /** Workload id. */
  id: string;
  /** Workload name. */
  name: string;
  /** Batch size. */
  n: number;
  /** Input channels. */
  c: number;
  /** Input height and width. */
  hw: number;
  /** Output channels. */
  out: number;
  /** Kernel height and width. */
  k: number;
  /** Zero padding on every side. */
  pad: number;
}

/** Conv forward (through a one-layer Sequential model) of a batch of random images. */
export function convForward(w: ConvLoad): Workload {
  const ho = w.hw + 2 * w.pad - w.k + 1;
  return {
    id: w.id,
    name: w.name,
    flops: 2 * w.n * w.out * ho * ho * w.c * w.k * w.k,
    images: w.n,
    setup(): WorkloadInstance {
      const registry = new Registry().use(cpuBackend, convLayers);
      const backend = createCpuBackend();
      const model = new Sequential([null, w.c, w.hw, w.hw], { registry })
        .add(Conv, { outChannels: w.out, kernelShape: [w.k, w.k], pads: [w.pad, w.pad, w.pad, w.pad] })
        .build({ backend, seed: 1 });
      const input = randomArray(w.n * w.c * w.hw * w.hw, 2);
      return inference(backend, model, input, [w.n, w.c, w.hw, w.hw]);
    },
  };
}

/** conv 5×5×32 pad 2 + ReLU + max pool 2 → conv 5×5×64 pad 2 + ReLU + max pool 2 → dense 128 + ReLU → dense 10. */
function lenetLike(backend: ReturnType<typeof createCpuBackend>) {
  const registry = new Registry().use(cpuBackend, convLayers, poolLayers, activationLayers, denseLayers, lossLayers);
  const pool = { kernelShape: [2, 2], strides: [2, 2] };
  return new Sequential([null, 1, 28, 28], { registry })
    .add(Conv, { outChannels: 32, kernelShape: [5, 5], pads: [2, 2, 2, 2] })
    .add(Relu)
    .add(MaxPool, pool)
    .add(Conv, { outChannels: 64, kernelShape: [5, 5], pads: [2, 2, 2, 2] })
    .add(Relu)
    .add(MaxPool, pool)
    .add(Flatten)
    .add(Linear, { outFeatures: 128 })
    .add(Relu)
    .add(Linear, { outFeatures: 10 })
    .build({ backend, seed: 1 });
}

// Multiply-adds of the W5/W6 network per image: conv1 28²·32·25, conv2 14²·64·800, fc 3136·128 + 128·10.
const LENET_FWD_FLOPS = 2 * (28 * 28 * 32 * 25 + 14 * 14 * 64 * 800 + 3136 * 128 + 128 * 10);
const BATCH = 64;

/** Inference of the W5/W6 LeNet-style network on a batch of random 1×28×28 images. */
export function lenetInference(id: string, batch: number): Workload {
  return {
    id,
    name: `LeNet-style inference, batch ${batch} of 1×28×28 (CPU)`,
    flops: batch * LENET_FWD_FLOPS,
    images: batch,
    setup(): WorkloadInstance {
      const backend = createCpuBackend();
      const model = lenetLike(backend);
      const input = randomArray(batch * 784, 3);
      return inference(backend, model, input, [batch, 1, 28, 28]);
    },
  };
}

/** The convolution workloads `pnpm bench` runs. */
export const workloads: Workload[] = [
  convForward({ id: 'W1', name: 'Conv forward, batch 64, 1×28×28 → 32, 5×5, pad 2 (CPU)', n: 64, c: 1, hw: 28, out: 32, k: 5, pad: 2 }),
  convForward({ id: 'W2-b1', name: 'AlexNet conv2 forward, batch 1, 96×27×27 → 256, 5×5, pad 2 (CPU)', n: 1, c: 96, hw: 27, out: 256, k: 5, pad: 2 }),
  convForward({ id: 'W2-b8', name: 'AlexNet conv2 forward, batch 8, 96×27×27 → 256, 5×5, pad 2 (CPU)', n: 8, c: 96, hw: 27, out: 256, k: 5, pad: 2 }),
  convForward({ id: 'W3', name: 'AlexNet conv3 forward, batch 8, 256×13×13 → 384, 3×3, pad 1 (CPU)', n: 8, c: 256, hw: 13, out: 384, k: 3, pad: 1 }),
  {
    id: 'W5',
    name: 'LeNet-style training step (forward, backward, SGD), batch 64 of 1×28×28 (CPU)',
    // Forward + backward ≈ 3× the forward FLOPs (conv1 needs no dx, so slightly less).
    flops: 3 * BATCH * LENET_FWD_FLOPS,
    images: BATCH,
    setup(): WorkloadInstance {
      const backend = createCpuBackend();
      const model = lenetLike(backend);
      const lossModel = model.withLoss(SoftmaxCrossEntropy, {}, { targetDType: 'int32', targetShape: [null] });
      const optimizer = new Sgd({ lr: 0.01, momentum: 0.9 });
      const params = model.params();
      const r = new Rng(4);
      const x = backend.tensor(randomArray(BATCH * 784, 3), [BATCH, 1, 28, 28]);
      const y: Tensor = backend.tensor(Int32Array.from({ length: BATCH }, () => r.int(10)), [BATCH], 'int32');
      return {
        backend: backend.description,
        threads: gemmThreads(),
        run() {
          const run = lossModel.forward({ [model.inputs[0].name]: x, target: y }, { mode: 'train' });
          const grads = run.backward();
          optimizer.step(params, grads);
          grads.dispose();
          run.dispose();
        },
        dispose() {
          x.dispose();
          y.dispose();
          optimizer.dispose();
          model.dispose();
        },
      };
    },
  },
  lenetInference('W6', BATCH),
];
