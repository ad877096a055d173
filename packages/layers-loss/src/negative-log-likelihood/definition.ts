import { attr, defineLayer } from '@hubel/core';
import { lossShape } from '../class-weights/shapes.js';

/**
 * Negative log-likelihood (ONNX NegativeLogLikelihoodLoss, opset 13). Input X holds
 * log-probabilities [N, C] or [N, C, d1, …]; labels T are int32 class indices [N] or
 * [N, d1, …]; optional class weights W are [C]. Per position: ℓ = −W[label]·X[n, label, d…]
 * (W = 1 when absent). `reduction: 'mean'` (default) divides Σℓ by the summed weights of the
 * positions whose label is not `ignoreIndex` (0 when nothing is labelled), `'sum'` adds them,
 * `'none'` keeps ℓ per position, shape [N, d1, …]. Throws, naming the node, on a label outside
 * [0, C). X and W are differentiable.
 */
export const NegativeLogLikelihoodLoss = defineLayer({
  domain: '',
  type: 'NegativeLogLikelihoodLoss',
  doc: 'C = −Σ W[label]·X[label], divided by the summed weights when reduction is mean',
  role: 'loss',
  inputs: ['X', 'T', 'W'],
  optionalInputs: 1,
  inputDTypes: { 1: 'int32' },
  attrs: {
    reduction: attr.string({ oneOf: ['mean', 'sum', 'none'], default: 'mean', doc: "'mean' divides by the summed weights of the non-ignored positions; 'none' keeps the per-position losses" }),
    ignoreIndex: attr.int({ optional: true, doc: 'label value whose positions contribute no loss and no gradient' }),
  },
  inferShapes: (a, shapes) => [lossShape(a.reduction, shapes)],
  onnx: { since: 13, attrs: (a) => ({ reduction: a.reduction, ignore_index: a.ignoreIndex }) },
});
