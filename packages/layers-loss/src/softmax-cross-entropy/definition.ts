import { HubelError, attr, defineLayer, fmtShape, sameShape } from '@hubel/core';

/**
 * Softmax followed by cross-entropy, fused (ONNX SoftmaxCrossEntropyLoss, opset 13). Scores X
 * are [N, C] or [N, C, d1, …]; labels T are int32 class indices of shape [N] or [N, d1, …].
 * Per position: ℓ = −Σ_c q_c·log softmax(x)_c with target q = (1 − ε)·onehot(label) + ε/C
 * (ε = `labelSmoothing`, a Hubel extension; 0 gives plain cross-entropy).
 * `reduction: 'mean'` (default) averages ℓ over the positions whose label is not
 * `ignoreIndex` (ONNX's mean: N·d1·… positions when none is ignored; 0 when all are), `'sum'`
 * adds them. Output: a scalar (shape []). Throws, naming the node, on a label outside [0, C).
 */
export const SoftmaxCrossEntropy = defineLayer({
  domain: '',
  type: 'SoftmaxCrossEntropyLoss',
  doc: 'C = −Σ target·log softmax(X), averaged over labelled positions when reduction is mean',
  role: 'loss',
  inputs: ['X', 'T'],
  inputDTypes: { 1: 'int32' },
  attrs: {
    reduction: attr.string({ oneOf: ['mean', 'sum'], default: 'mean', doc: "'mean' averages over the non-ignored label positions" }),
    ignoreIndex: attr.int({ optional: true, doc: 'label value whose positions contribute no loss and no gradient' }),
    labelSmoothing: attr.float({ min: 0, lt: 1, default: 0, doc: 'ε: the target is (1 − ε)·onehot + ε/C; not exportable to ONNX unless 0' }),
  },
  inferShapes: (_a, [x, t]) => {
    if (x.length < 2) throw new Error(`expected scores X of rank >= 2 [N, C, ...], found X ${fmtShape(x)}`);
    const want = [x[0], ...x.slice(2)];
    if (!sameShape(t, want)) throw new Error(`labels T must have shape ${fmtShape(want)} (X ${fmtShape(x)} without its class axis), found T ${fmtShape(t)}`);
    return [[]];
  },
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
