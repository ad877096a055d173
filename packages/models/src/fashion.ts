import { GraphBuilder } from '@hubel/core';
import { Relu } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Dropout, Flatten, Linear } from '@hubel/layers-dense';
import { BatchNormalization } from '@hubel/layers-norm';
import { MaxPool } from '@hubel/layers-pool';
import { zooRegistry } from './plugins.js';
import { checkClasses, checkInput, type ZooOptions } from './options.js';

export interface FashionNetOptions extends ZooOptions {
  /** Channels of the two convolutions; default [32, 64]. */
  readonly channels?: readonly [number, number];
  /** Units of the hidden fully connected layer; default 128. */
  readonly hidden?: number;
  /** Dropout ratio before the output layer; default 0.5. */
  readonly dropout?: number;
}

/**
 * The Fashion-MNIST convnet: two blocks of conv 5×5 (pad 2) → batch norm → ReLU → 2×2 max
 * pool (28 → 14 → 7), then a fully connected layer → ReLU → dropout → class scores (logits;
 * train with SoftmaxCrossEntropy). Takes pixels in [0, 1]: the batch norm after the first
 * convolution makes input normalization unnecessary. The convolutions have no bias (batch
 * norm's B replaces it).
 */
export function fashionNet(o: FashionNetOptions = {}): GraphBuilder {
  const classes = o.classes ?? 10;
  const inputShape = o.inputShape ?? [1, 28, 28];
  checkClasses(classes, 'fashion');
  checkInput(inputShape, 'fashion');
  const [c1, c2] = o.channels ?? [32, 64];
  const g = new GraphBuilder({ registry: o.registry ?? zooRegistry() });
  let v = g.input('input', [null, ...inputShape]);
  [c1, c2].forEach((channels, i) => {
    const k = i + 1;
    v = g.add(Conv, { outChannels: channels, kernelShape: [5, 5], pads: [2, 2, 2, 2], bias: false }, v, { name: `conv${k}` });
    v = g.add(BatchNormalization, {}, v, { name: `bn${k}` });
    v = g.add(Relu, {}, v, { name: `relu${k}` });
    v = g.add(MaxPool, { kernelShape: [2, 2], strides: [2, 2] }, v, { name: `pool${k}` });
  });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  v = g.add(Linear, { outFeatures: o.hidden ?? 128 }, v, { name: 'fc1' });
  v = g.add(Relu, {}, v, { name: 'relu3' });
  v = g.add(Dropout, { ratio: o.dropout ?? 0.5 }, v, { name: 'dropout' });
  g.output(g.add(Linear, { outFeatures: classes }, v, { name: 'scores' }));
  return g;
}
