import { defineCases } from '@hubel/core';
import { LRN } from './definition.js';

// alpha is raised well above AlexNet's 1e-4 so the cross-channel term is large enough for the
// finite-difference check to see it (with 1e-4 the layer is nearly x·bias^(−beta)).
export const lrnCases = defineCases(LRN, [
  { name: 'AlexNet window size 5 over 7 channels, alpha 0.5', attrs: { size: 5, alpha: 0.5, beta: 0.75, bias: 2 }, inputs: [[2, 7, 3, 3]] },
  {
    name: 'size 3, beta 1.5, rank 3 input',
    attrs: { size: 3, alpha: 1, beta: 1.5, bias: 1 },
    inputs: [[3, 4, 5]],
    skipSuites: { onnx: "ONNX Runtime's LRN kernel accepts only 4-D input (the spec allows any rank ≥ 3)" },
  },
  { name: 'window wider than the channels (size 9, 4 channels)', attrs: { size: 9, alpha: 2, beta: 0.5, bias: 1.5 }, inputs: [[2, 4, 2, 2]] },
  { name: 'size 1 (each channel alone), ONNX defaults', attrs: { size: 1, alpha: 0.3 }, inputs: [[1, 3, 2, 3]] },
]);
