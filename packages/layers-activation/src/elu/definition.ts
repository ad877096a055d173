import { attr, defineLayer } from '@hubel/core';

/** Exponential linear unit y = x for x > 0, α·(eˣ − 1) otherwise, elementwise (ONNX Elu). */
export const Elu = defineLayer({
  domain: '',
  type: 'Elu',
  doc: 'y = x if x > 0 else alpha·(exp(x) − 1)',
  attrs: { alpha: attr.float({ default: 1, doc: 'scale of the negative saturation' }) },
  inferShapes: (_a, [x]) => [x],
  onnx: { since: 6 },
});
