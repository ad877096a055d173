// W7: AlexNet one-tower forward pass, batch 1 (CPU). FLOPs counted for the convolutions and
// fully connected layers only (2·multiply-adds), as the peers' figures are.
import { createCpuBackend, gemmThreads } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { alexnet } from '@hubel/models';
import { modelPeerSpec, type Workload } from '../workload.js';

// conv1 96·55²·3·11², conv2 256·27²·96·5², conv3 384·13²·256·3², conv4 384·13²·384·3²,
// conv5 256·13²·384·3², fc6 9216·4096, fc7 4096², fc8 4096·1000 (one tower: no groups).
const macs = 96 * 55 ** 2 * 3 * 121 + 256 * 27 ** 2 * 96 * 25 + 384 * 169 * 256 * 9 + 384 * 169 * 384 * 9 + 256 * 169 * 384 * 9 + 9216 * 4096 + 4096 * 4096 + 4096 * 1000;

/**
 * Forward pass of the zoo's one-tower AlexNet on `batch` random 3×227×227 images. `width`
 * scales every layer (1: the real network, W7; smaller: a quick stand-in for tests).
 */
export function alexnetForward(id: string, name: string, o: { width?: number; batch?: number } = {}): Workload {
  const width = o.width ?? 1;
  const batch = o.batch ?? 1;
  return {
    id,
    name,
    ...(width === 1 ? { flops: 2 * macs * batch } : {}),
    images: batch,
    setup() {
      const backend = createCpuBackend();
      const model = alexnet({ towers: 1, width }).build({ backend, seed: 1 });
      const r = new Rng(7);
      const input = Float32Array.from({ length: batch * 3 * 227 * 227 }, () => r.uniform());
      const x = backend.tensor(input, [batch, 3, 227, 227]);
      return {
        run: () => model.predict(x).dispose(),
        dispose: () => (x.dispose(), model.dispose()),
        threads: gemmThreads(),
        peer: modelPeerSpec(model, x, input),
      };
    },
  };
}

/** W7, as `pnpm bench` runs it. */
export const workloads: Workload[] = [alexnetForward('W7', 'AlexNet one-tower forward, batch 1, 3×227×227 (CPU)')];
