import { defineLayer } from '@hubel/core';
import { globalOutputShape } from '../shared/global.js';

/** ONNX GlobalAveragePool: [N, C, ...spatial] → [N, C, 1, ..., 1], the mean of each channel's map. */
export const GlobalAveragePool = defineLayer({
  domain: '',
  type: 'GlobalAveragePool',
  doc: 'Mean over all spatial positions of each channel',
  attrs: {},
  inferShapes: (_a, [x]) => [globalOutputShape(x)],
  onnx: { since: 1 },
});
