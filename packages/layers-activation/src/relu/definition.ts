import { defineLayer } from '@hubel/core';

/** Rectified linear unit y = max(0, x), elementwise on any shape (ONNX Relu). */
export const Relu = defineLayer({
  domain: '',
  type: 'Relu',
  doc: 'y = max(0, x)',
  attrs: {},
  inferShapes: (_a, [x]) => [x],
  onnx: { since: 6 },
});
