import { defineLayer } from '@hubel/core';

/** Hyperbolic tangent y = tanh(x), elementwise on any shape (ONNX Tanh). */
export const Tanh = defineLayer({
  domain: '',
  type: 'Tanh',
  doc: 'y = tanh(x)',
  attrs: {},
  inferShapes: (_a, [x]) => [x],
  onnx: { since: 6 },
});
