import { defineCases } from '@hubel/core';
import { SumPool } from './definition.js';

// ONNX Runtime (1.30) sizes SAME_* padding without the dilation: a 5×6 input with k 2, dilation 2 gives 4×5, not ONNX's ceil(in / stride) = 5×6. Hubel follows the ONNX spec and reference.
const ORT_SAME_DILATION = 'ONNX Runtime computes SAME_* pads without the dilation (output shape differs from the ONNX spec)';

export const sumPoolCases = defineCases(SumPool, [
  { name: '2-D 2×2 stride 2, batch 2', attrs: { kernelShape: [2, 2], strides: [2, 2] }, inputs: [[2, 2, 6, 6]] },
  { name: '2-D overlapping 3×3 stride 2 pads [1,0,1,2]', attrs: { kernelShape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2] }, inputs: [[2, 2, 7, 6]] },
  { name: '2-D SAME_UPPER dilations 2', attrs: { kernelShape: [2, 2], dilations: [2, 2], autoPad: 'SAME_UPPER' }, inputs: [[2, 1, 5, 5]], skipSuites: { onnx: ORT_SAME_DILATION } },
  { name: '1-D k3 stride 1 pads 1, batch 3', attrs: { kernelShape: [3], pads: [1, 1] }, inputs: [[3, 2, 8]] },
]);
