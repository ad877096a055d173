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
 */
export const BatchNormalization = defineLayer({
  domain: '',
  type: 'BatchNormalization',
  doc: 'y = scale·(x − μ)/√(σ² + ε) + B, batch statistics in training, stored ones in eval',
  attrs: {
    epsilon: attr.float({ gt: 0, default: 1e-5, doc: 'added to the variance before the square root' }),
    momentum: attr.float({ min: 0, max: 1, default: 0.9, doc: 'weight of the old running statistics per training step' }),
  },
  params: (_a, [x]) => ({
    scale: { shape: [x[1]], init: 'ones' },
    B: { shape: [x[1]], init: 'zeros' },
    input_mean: { shape: [x[1]], init: 'zeros', trainable: false },
    input_var: { shape: [x[1]], init: 'ones', trainable: false },
  }),
  inferShapes: (_a, [x]) => {
    if (x.length < 2) throw new Error(`expected an input of rank >= 2 ([N, C] or [N, C, ...spatial]), found rank ${x.length}`);
    return [[...x]];
  },
  // Exported for inference (training_mode = 0): Y only, the statistics read from input_mean/input_var.
  onnx: { since: 15 },
});
