import { GraphBuilder, HubelError } from '@hubel/core';
import { Relu } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Dropout, Flatten, Linear } from '@hubel/layers-dense';
import { LRN } from '@hubel/layers-norm';
import { MaxPool } from '@hubel/layers-pool';
import { zooRegistry } from './plugins.js';
import { checkClasses, checkInput, type ZooOptions } from './options.js';

export interface AlexNetOptions extends ZooOptions {
  /** 2 (default): the paper's two GPU towers, as group = 2 on conv2, conv4 and conv5. 1: one tower. */
  readonly towers?: 1 | 2;
  /** Multiplies every layer's width (channels and fully connected units); default 1. */
  readonly width?: number;
  /** Dropout ratio of fc6 and fc7; default 0.5. */
  readonly dropout?: number;
  /** Local response normalization after relu1 and relu2 (default true; false: the ablation variant `no-lrn`). */
  readonly lrn?: boolean;
}

/**
 * AlexNet as laid out in Krizhevsky, Sutskever & Hinton 2012 (input 3×227×227):
 *
 * | layer | | output |
 * | --- | --- | --- |
 * | conv1 96 11×11 stride 4, ReLU, LRN, max pool 3×3 stride 2 | | 96×55×55 → 96×27×27 |
 * | conv2 256 5×5 pad 2, 2 groups, ReLU, LRN, max pool | | 256×27×27 → 256×13×13 |
 * | conv3 384 3×3 pad 1, ReLU | | 384×13×13 |
 * | conv4 384 3×3 pad 1, 2 groups, ReLU | | 384×13×13 |
 * | conv5 256 3×3 pad 1, 2 groups, ReLU, max pool | | 256×13×13 → 256×6×6 |
 * | fc6 4096, ReLU, dropout; fc7 4096, ReLU, dropout; fc8 1000 (class scores) | | |
 *
 * 60,965,224 parameters with two towers and width 1. The paper's response normalization
 * b = a / (k + α·Σa²)^β uses k = 2, n = 5, α = 1e-4, β = 0.75; ONNX's LRN divides its alpha by
 * the size, so the node carries alpha = 5·1e-4 to compute exactly the paper's formula.
 * `width` scales every layer (rounded to a multiple of `towers`) for small experiments.
 */
export function alexnet(o: AlexNetOptions = {}): GraphBuilder {
  const classes = o.classes ?? 1000;
  const inputShape = o.inputShape ?? [3, 227, 227];
  const towers = o.towers ?? 2;
  const width = o.width ?? 1;
  checkClasses(classes, 'alexnet');
  checkInput(inputShape, 'alexnet');
  if (towers !== 1 && towers !== 2) throw new HubelError('attribute', `alexnet: towers must be 1 or 2, found ${towers}`);
  if (!(width > 0)) throw new HubelError('attribute', `alexnet: width must be a positive number, found ${width}`);
  const w = (n: number) => Math.max(towers, towers * Math.round((n * width) / towers));
  const lrn = { size: 5, alpha: 5 * 1e-4, beta: 0.75, bias: 2 };
  const pool = { kernelShape: [3, 3], strides: [2, 2] };
  const g = new GraphBuilder({ registry: o.registry ?? zooRegistry() });
  let v = g.input('input', [null, ...inputShape]);
  const conv = (k: number, outChannels: number, kernel: number, rest: { strides?: number[]; pad?: number; group?: number }) => {
    const p = rest.pad ?? 0;
    v = g.add(Conv, { outChannels, kernelShape: [kernel, kernel], strides: rest.strides ?? [1, 1], pads: [p, p, p, p], group: rest.group ?? 1 }, v, { name: `conv${k}` });
    v = g.add(Relu, {}, v, { name: `relu${k}` });
  };
  conv(1, w(96), 11, { strides: [4, 4] });
  if (o.lrn ?? true) v = g.add(LRN, lrn, v, { name: 'norm1' });
  v = g.add(MaxPool, pool, v, { name: 'pool1' });
  conv(2, w(256), 5, { pad: 2, group: towers });
  if (o.lrn ?? true) v = g.add(LRN, lrn, v, { name: 'norm2' });
  v = g.add(MaxPool, pool, v, { name: 'pool2' });
  conv(3, w(384), 3, { pad: 1 });
  conv(4, w(384), 3, { pad: 1, group: towers });
  conv(5, w(256), 3, { pad: 1, group: towers });
  v = g.add(MaxPool, pool, v, { name: 'pool5' });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  for (const k of [6, 7]) {
    v = g.add(Linear, { outFeatures: w(4096) }, v, { name: `fc${k}` });
    v = g.add(Relu, {}, v, { name: `relu${k}` });
    v = g.add(Dropout, { ratio: o.dropout ?? 0.5 }, v, { name: `drop${k}` });
  }
  g.output(g.add(Linear, { outFeatures: classes }, v, { name: 'fc8' }));
  return g;
}
