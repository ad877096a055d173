import { GraphBuilder } from '@hubel/core';
import { Relu, Tanh } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Flatten, Linear } from '@hubel/layers-dense';
import { AveragePool, MaxPool } from '@hubel/layers-pool';
import { zooRegistry } from './plugins.js';
import { checkClasses, checkInput, type ZooOptions } from './options.js';

export interface LeNetOptions extends ZooOptions {
  /** 'tanh' with average pooling (LeCun et al. 1998, default) or 'relu' with max pooling. */
  readonly activation?: 'tanh' | 'relu';
  /** 2×2 pooling; default the activation's pairing ('average' with tanh, 'max' with relu). */
  readonly pool?: 'average' | 'max';
}

/**
 * LeNet-5 (LeCun et al. 1998) on 28×28 inputs: C1 6@5×5 with pad 2 (the paper pads its
 * 28×28 digits to 32×32), S2 2×2 pooling, C3 16@5×5, S4 2×2 pooling, C5 120 (a 5×5
 * convolution on a 5×5 map, i.e. fully connected), F6 84, output class scores (logits).
 * C3 is fully connected across channels (the paper's sparse table is not reproduced).
 */
export function lenet5(o: LeNetOptions = {}): GraphBuilder {
  const classes = o.classes ?? 10;
  const inputShape = o.inputShape ?? [1, 28, 28];
  checkClasses(classes, 'lenet5');
  checkInput(inputShape, 'lenet5');
  const relu = o.activation === 'relu';
  const act = relu ? Relu : Tanh;
  const pool = (o.pool ?? (relu ? 'max' : 'average')) === 'max' ? MaxPool : AveragePool;
  const g = new GraphBuilder({ registry: o.registry ?? zooRegistry() });
  let v = g.input('input', [null, ...inputShape]);
  v = g.add(Conv, { outChannels: 6, kernelShape: [5, 5], pads: [2, 2, 2, 2] }, v, { name: 'c1' });
  v = g.add(act, {}, v, { name: 'act1' });
  v = g.add(pool, { kernelShape: [2, 2], strides: [2, 2] }, v, { name: 's2' });
  v = g.add(Conv, { outChannels: 16, kernelShape: [5, 5] }, v, { name: 'c3' });
  v = g.add(act, {}, v, { name: 'act3' });
  v = g.add(pool, { kernelShape: [2, 2], strides: [2, 2] }, v, { name: 's4' });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  v = g.add(Linear, { outFeatures: 120 }, v, { name: 'c5' });
  v = g.add(act, {}, v, { name: 'act5' });
  v = g.add(Linear, { outFeatures: 84 }, v, { name: 'f6' });
  v = g.add(act, {}, v, { name: 'act6' });
  g.output(g.add(Linear, { outFeatures: classes }, v, { name: 'scores' }));
  return g;
}
