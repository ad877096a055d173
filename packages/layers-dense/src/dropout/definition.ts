import { attr, defineLayer } from '@hubel/core';


/**
 * Inverted dropout (Hinton et al. 2012; ONNX Dropout): in 'train' mode each value is kept with
 * probability 1 − ratio and scaled by 1/(1 − ratio), so E[y] = x; the mask comes from the
 * kernel's seeded `rng`. In 'eval' mode y = x.
 *
 * ONNX (since opset 12) takes the ratio as an optional second input, not an attribute; the
 * node exported has training_mode absent (false), i.e. the identity this layer computes at
 * inference.
 */
export const Dropout = defineLayer({
  domain: '',
  type: 'Dropout',
  doc: 'zero each value with probability ratio in training, scaling the rest by 1/(1 − ratio)',
  attrs: {
    ratio: attr.float({ min: 0, lt: 1, default: 0.5, doc: 'probability of dropping a value, in [0, 1)' }),
  },
  inferShapes: (_a, [x]) => [[...x]],
  onnx: {
    since: 13,
    attrs: () => ({}),
    // ONNX takes the ratio as a scalar float input; the importer folds it back into `ratio`.
    inputsFromAttrs: [{ index: 1, attr: 'ratio', dtype: 'float', scalar: true }],
    // `seed` only picks the random stream of a training-mode run: it does not change inference.
    fromOnnx: (o) => (o.ratio === undefined ? {} : { ratio: o.ratio }),
  },
});
