import { defineLayer } from '@hubel/core';
import { globalOutputShape } from '../shared/global.js';

/**
 * ONNX GlobalMaxPool: [N, C, ...spatial] → [N, C, 1, ..., 1], the largest value of each channel's
 * map. Backward routes ∂C/∂y to the first maximum in row-major order.
 */
export const GlobalMaxPool = defineLayer({
  domain: '',
  type: 'GlobalMaxPool',
  doc: 'Max over all spatial positions of each channel; gradient to the first arg-max',
  attrs: {},
  inferShapes: (_a, [x]) => [globalOutputShape(x)],
  onnx: { since: 1 },
});
