import { HubelError, attr, defineLayer } from '@hubel/core';
import { lossShape } from '../class-weights/shapes.js';

/**
 * Softmax followed by cross-entropy, fused (ONNX SoftmaxCrossEntropyLoss, opset 13). Scores X
 * are [N, C] or [N, C, d1, …]; labels T are int32 class indices of shape [N] or [N, d1, …];
 * optional class weights W are [C]. Per position: ℓ = −w·Σ_c q_c·log softmax(x)_c with
 * w = W[label] (1 without W) and target q = (1 − ε)·onehot(label) + ε/C (ε = `labelSmoothing`,
 * a Hubel extension; 0 gives plain cross-entropy). `reduction: 'mean'` (default) divides Σℓ
 * by the summed weights of the positions whose label is not `ignoreIndex` (their count without
 * W; 0 when nothing is labelled), `'sum'` adds them, `'none'` keeps ℓ per position. Output: a
 * scalar (shape []), or [N, d1, …] for 'none'. The optional second output `log_prob` (ONNX's) is
 * log softmax(X) over the class axis, X's shape, and differentiable too. Throws, naming the node,
 * on a label outside [0, C). W is differentiable like X.
 */
export const SoftmaxCrossEntropy = defineLayer({
  domain: '',
  type: 'SoftmaxCrossEntropyLoss',
  doc: 'C = −Σ target·log softmax(X), averaged over labelled positions when reduction is mean',
  role: 'loss',
  inputs: ['X', 'T', 'W'],
  optionalInputs: 1,
  inputDTypes: { 1: 'int32' },
  outputs: ['loss', 'log_prob'],
  attrs: {
    reduction: attr.string({ oneOf: ['mean', 'sum', 'none'], default: 'mean', doc: "'mean' divides by the summed weights of the non-ignored positions; 'none' keeps the per-position losses" }),
    ignoreIndex: attr.int({ optional: true, doc: 'label value whose positions contribute no loss and no gradient' }),
    labelSmoothing: attr.float({ min: 0, lt: 1, default: 0, doc: 'ε: the target is (1 − ε)·onehot + ε/C; not exportable to ONNX unless 0' }),
  },
  inferShapes: (a, shapes) => [lossShape(a.reduction, shapes), shapes[0]],
  onnx: {
    since: 13,
    // ONNX has no label_smoothing attribute, so a smoothed loss cannot be written as this op.
    attrs: (a) => {
      if (a.labelSmoothing !== 0) {
        throw new HubelError('attribute', `SoftmaxCrossEntropyLoss: attribute 'labelSmoothing': ONNX export needs 0 (ONNX has no label smoothing), found ${a.labelSmoothing}`);
      }
      return { reduction: a.reduction, ignore_index: a.ignoreIndex };
    },
  },
});
