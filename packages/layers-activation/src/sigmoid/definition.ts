import { defineLayer } from '@hubel/core';

/** Logistic sigmoid y = 1 / (1 + e^−x), elementwise on any shape (ONNX Sigmoid). */
export const Sigmoid = defineLayer({
  domain: '',
  type: 'Sigmoid',
  doc: 'y = 1 / (1 + exp(−x))',
  attrs: {},
  inferShapes: (_a, [x]) => [x],
  onnx: { since: 6 },
});
