import { GraphBuilder, HubelError } from '@hubel/core';
import { Relu, Tanh } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Dropout, Flatten, Linear } from '@hubel/layers-dense';
import { BatchNormalization } from '@hubel/layers-norm';
import { AveragePool, MaxPool } from '@hubel/layers-pool';
import { zooRegistry } from './plugins.js';
import { checkClasses, checkInput, type ZooOptions } from './options.js';

export interface FashionNetOptions extends ZooOptions {
  /** Channels of the two convolutions; default [32, 64]. */
  readonly channels?: readonly [number, number];
  /** Square kernel size of both convolutions (odd, padded to keep the size); default 3. */
  readonly kernel?: number;
  /** Units of the hidden fully connected layer; default 128. */
  readonly hidden?: number;
  /** Dropout ratio before the output layer; default 0.5. */
  readonly dropout?: number;
  /**
   * Batch norm after each convolution (default true). False drops bn1 and bn2 and gives the
   * convolutions a bias instead (the ablation variant `no-bn`).
   */
  readonly batchNorm?: boolean;
  /** Nonlinearity of every hidden layer: 'relu' (default) or 'tanh' (the ablation variant `tanh`). */
  readonly activation?: 'relu' | 'tanh';
  /** 2×2 pooling of both blocks: 'max' (default) or 'average' (the ablation variant `avgpool`). */
  readonly pool?: 'max' | 'average';
}

/**
 * The Fashion-MNIST convnet: two blocks of conv 3×3 (pad 1) → batch norm → ReLU → 2×2 max
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
  const k = o.kernel ?? 3;
  if (!(Number.isInteger(k) && k >= 1 && k % 2 === 1)) throw new HubelError('attribute', `fashion: kernel must be an odd positive integer, found ${k}`);
  const p = (k - 1) / 2;
  const bn = o.batchNorm ?? true;
  const act = o.activation === 'tanh' ? Tanh : Relu;
  const pool = o.pool === 'average' ? AveragePool : MaxPool;
  const g = new GraphBuilder({ registry: o.registry ?? zooRegistry() });
  let v = g.input('input', [null, ...inputShape]);
  [c1, c2].forEach((channels, i) => {
    const b = i + 1;
    v = g.add(Conv, { outChannels: channels, kernelShape: [k, k], pads: [p, p, p, p], bias: !bn }, v, { name: `conv${b}` });
    if (bn) v = g.add(BatchNormalization, {}, v, { name: `bn${b}` });
    v = g.add(act, {}, v, { name: `relu${b}` });
    v = g.add(pool, { kernelShape: [2, 2], strides: [2, 2] }, v, { name: `pool${b}` });
  });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  v = g.add(Linear, { outFeatures: o.hidden ?? 128 }, v, { name: 'fc1' });
  v = g.add(act, {}, v, { name: 'relu3' });
  v = g.add(Dropout, { ratio: o.dropout ?? 0.5 }, v, { name: 'dropout' });
  g.output(g.add(Linear, { outFeatures: classes }, v, { name: 'scores' }));
  return g;
}
