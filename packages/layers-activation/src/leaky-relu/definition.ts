import { attr, defineLayer } from '@hubel/core';

/** Leaky ReLU y = x for x ≥ 0, α·x otherwise, elementwise on any shape (ONNX LeakyRelu). */
export const LeakyRelu = defineLayer({
  domain: '',
  type: 'LeakyRelu',
  doc: 'y = x if x >= 0 else alpha·x',
  attrs: { alpha: attr.float({ default: 0.01, doc: 'slope for negative inputs' }) },
  inferShapes: (_a, [x]) => [x],
  onnx: { since: 6 },
});
