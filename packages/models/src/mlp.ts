import { GraphBuilder } from '@hubel/core';
import { Relu } from '@hubel/layers-activation';
import { Flatten, Linear } from '@hubel/layers-dense';
import { zooRegistry } from './plugins.js';
import { checkClasses, checkInput, type ZooOptions } from './options.js';

export interface MlpOptions extends ZooOptions {
  /** Hidden layer widths; default [256, 128]. */
  readonly hidden?: readonly number[];
}

/**
 * A multilayer perceptron: flatten → (Linear → ReLU) per hidden width → Linear to class
 * scores (logits). Defaults: 1×28×28 input, 10 classes.
 */
export function mlp(o: MlpOptions = {}): GraphBuilder {
  const classes = o.classes ?? 10;
  const inputShape = o.inputShape ?? [1, 28, 28];
  checkClasses(classes, 'mlp');
  checkInput(inputShape, 'mlp');
  const g = new GraphBuilder({ registry: o.registry ?? zooRegistry() });
  let v = g.add(Flatten, {}, g.input('input', [null, ...inputShape]), { name: 'flatten' });
  (o.hidden ?? [256, 128]).forEach((units, i) => {
    v = g.add(Linear, { outFeatures: units }, v, { name: `fc${i + 1}` });
    v = g.add(Relu, {}, v, { name: `relu${i + 1}` });
  });
  g.output(g.add(Linear, { outFeatures: classes }, v, { name: 'scores' }));
  return g;
}
