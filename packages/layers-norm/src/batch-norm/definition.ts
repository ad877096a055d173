import { attr, defineLayer } from '@hubel/core';

/**
 * Batch normalization (Ioffe & Szegedy 2015; ONNX BatchNormalization, opset 15) over
 * [N, C] (per unit) or [N, C, ...spatial] (per channel) inputs:
 * y = scale·(x − μ)/√(σ² + epsilon) + B.
 *
 * In 'train' mode μ and σ² are the mini-batch mean and biased variance per channel (over N and
 * every spatial position), gradients flow through them, and the running statistics
 * input_mean/input_var are replaced by `running·momentum + batch·(1 − momentum)` (ONNX's
 * convention: momentum weighs the old value; the variance is the biased batch variance, as
 * ONNX's ReduceVar). In 'eval' mode μ and σ² are input_mean and input_var, which either the
 * running averages or `BatchNormFinalizer` (exact training-set statistics) provide.
 *
 * `trainingMode` (ONNX training_mode) marks a node of an ONNX training graph: it normalizes with
 * the batch statistics whatever the run's mode. Only such a node may bind the optional outputs
 * running_mean and running_var: the blended statistics above, as values of the graph (they
 * depend on x through μ and σ², and gradients flow back that way). A 'train' run still replaces
 * input_mean/input_var by them; an 'eval' run leaves the parameters as they are.
 */
export const BatchNormalization = defineLayer({
  domain: '',
  type: 'BatchNormalization',
  doc: 'y = scale·(x − μ)/√(σ² + ε) + B, batch statistics in training, stored ones in eval',
  attrs: {
    epsilon: attr.float({ gt: 0, default: 1e-5, doc: 'added to the variance before the square root' }),
    momentum: attr.float({ min: 0, max: 1, default: 0.9, doc: 'weight of the old running statistics per training step' }),
    trainingMode: attr.bool({ default: false, doc: 'normalize with batch statistics in every run mode (an ONNX training graph)' }),
  },
  outputs: ['Y', 'running_mean', 'running_var'],
  optionalOutputs: 2,
  params: (_a, [x]) => ({
    scale: { shape: [x[1]], init: 'ones' },
    B: { shape: [x[1]], init: 'zeros' },
    input_mean: { shape: [x[1]], init: 'zeros', trainable: false },
    input_var: { shape: [x[1]], init: 'ones', trainable: false },
  }),
  inferShapes: (_a, [x]) => {
    if (x.length < 2) throw new Error(`expected an input of rank >= 2 ([N, C] or [N, C, ...spatial]), found rank ${x.length}`);
    return [[...x], [x[1]], [x[1]]];
  },
  // training_mode is written only when set: an inference node (Y only, statistics read from
  // input_mean/input_var) exports exactly as it did before the attribute existed.
  onnx: {
    since: 15,
    attrs: (a) => ({ epsilon: a.epsilon, momentum: a.momentum, training_mode: a.trainingMode ? 1 : undefined }),
    // ONNX Runtime requires all three outputs named on a training_mode node.
    requiredOutputs: (a) => (a.trainingMode ? 3 : 1),
  },
});
