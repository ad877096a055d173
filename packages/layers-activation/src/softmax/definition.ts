import { attr, defineLayer } from '@hubel/core';

/** `axis` as a non-negative index into a rank-`rank` shape; throws a plain message when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) throw new Error(`axis ${axis} is out of range for a rank-${rank} input (expected ${-rank} … ${rank - 1})`);
  return axis < 0 ? axis + rank : axis;
}

/**
 * Softmax along one axis, y_i = e^{x_i} / Σ_j e^{x_j}, on any shape (ONNX Softmax, opset-13
 * semantics: normalizes the single axis `axis`, not the flattened tail as opsets 1–12 did).
 */
export const Softmax = defineLayer({
  domain: '',
  type: 'Softmax',
  doc: 'y = exp(x) / Σ exp(x) along axis',
  attrs: { axis: attr.int({ default: -1, doc: 'axis to normalize; negative counts from the end' }) },
  inferShapes: (a, [x]) => {
    normalizeAxis(a.axis, x.length);
    return [x];
  },
  onnx: { since: 13 },
});
