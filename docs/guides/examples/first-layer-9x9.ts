// Writes an untrained Fashion-MNIST convnet whose first layer has 9×9 kernels, for the
// experiment "how Gabor-like are learned filters?" (docs/guides/gabor.md). Run from the root:
//   TSX_TSCONFIG_PATH=docs/guides/examples/tsconfig.json node --import tsx docs/guides/examples/first-layer-9x9.ts out/conv9/untrained.onnx [INIT]
// INIT is conv1's initializer: heUniform (default, the zoo's) or any of INIT_NAMES, e.g.
// `normal` (σ 0.01, as in AlexNet), so that what training adds is not drowned in the start.
// The model is the zoo's `fashion` convnet with a larger first kernel: conv1 9×9 (32, pad 4) →
// BN → ReLU → max pool 2 → conv2 3×3 (64, pad 1) → BN → ReLU → max pool 2 → FC 128 → ReLU →
// dropout 0.5 → 10 scores. `hubel train --model FILE.onnx` then trains it like a zoo model.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, INIT_NAMES, type InitName } from '@hubel/core';
import { saveOnnx } from '@hubel/io';
import { Relu } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Dropout, Flatten, Linear } from '@hubel/layers-dense';
import { BatchNormalization } from '@hubel/layers-norm';
import { MaxPool } from '@hubel/layers-pool';
import { zooRegistry } from '@hubel/models';

const out = process.argv[2] ?? 'out/conv9/untrained.onnx';
const init = (process.argv[3] ?? 'heUniform') as InitName;
if (!INIT_NAMES.includes(init)) throw new Error(`unknown initializer '${init}' (known: ${INIT_NAMES.join(', ')})`);
const g = new GraphBuilder({ registry: zooRegistry() });
let v = g.input('input', [null, 1, 28, 28]);
for (const [b, channels, k] of [[1, 32, 9], [2, 64, 3]] as const) {
  const p = (k - 1) / 2;
  v = g.add(Conv, { outChannels: channels, kernelShape: [k, k], pads: [p, p, p, p], bias: false, init: b === 1 ? init : 'heUniform' }, v, { name: `conv${b}` });
  v = g.add(BatchNormalization, {}, v, { name: `bn${b}` });
  v = g.add(Relu, {}, v, { name: `relu${b}` });
  v = g.add(MaxPool, { kernelShape: [2, 2], strides: [2, 2] }, v, { name: `pool${b}` });
}
v = g.add(Flatten, {}, v, { name: 'flatten' });
v = g.add(Linear, { outFeatures: 128 }, v, { name: 'fc1' });
v = g.add(Relu, {}, v, { name: 'relu3' });
v = g.add(Dropout, { ratio: 0.5 }, v, { name: 'dropout' });
g.output(g.add(Linear, { outFeatures: 10 }, v, { name: 'scores' }));
const model = g.build({ backend: createCpuBackend(), seed: 1 });
await mkdir(dirname(out), { recursive: true });
await saveOnnx(out, model);
model.dispose();
console.log(`wrote ${out}`);
