import { defineCases } from '@hubel/core';
import { AveragePool } from './definition.js';

// ONNX Runtime (1.30) sizes SAME_* padding without the dilation: a 5×6 input with k 2, dilation 2 gives 4×5, not ONNX's ceil(in / stride) = 5×6. Hubel follows the ONNX spec and reference.
const ORT_SAME_DILATION = 'ONNX Runtime computes SAME_* pads without the dilation (output shape differs from the ONNX spec)';

export const averagePoolCases = defineCases(AveragePool, [
  { name: '2-D 2×2 stride 2, batch 2', attrs: { kernelShape: [2, 2], strides: [2, 2] }, inputs: [[2, 2, 6, 6]] },
  { name: '2-D overlapping 3×3 stride 2 pads 1, countIncludePad', attrs: { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true }, inputs: [[2, 2, 7, 7]] },
  { name: '2-D 3×3 stride 2 pads 1, excluding pads', attrs: { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, inputs: [[2, 2, 7, 7]] },
  { name: '2-D ceilMode overhang, countIncludePad', attrs: { kernelShape: [3, 3], strides: [2, 2], pads: [0, 1, 0, 0], ceilMode: true, countIncludePad: true }, inputs: [[2, 2, 6, 6]] },
  { name: '2-D dilations [1,2] SAME_LOWER', attrs: { kernelShape: [2, 2], dilations: [1, 2], autoPad: 'SAME_LOWER', countIncludePad: true }, inputs: [[2, 2, 5, 6]], skipSuites: { onnx: ORT_SAME_DILATION } },
  { name: '1-D k3 stride 2 pads [2,1] ceilMode, batch 3', attrs: { kernelShape: [3], strides: [2], pads: [2, 1], ceilMode: true }, inputs: [[3, 2, 9]] },
  { name: '1-D k4 VALID stride 3', attrs: { kernelShape: [4], strides: [3], autoPad: 'VALID' }, inputs: [[2, 2, 11]] },
  { name: '3-D 2×2×2 stride 2, batch 2', attrs: { kernelShape: [2, 2, 2], strides: [2, 2, 2] }, inputs: [[2, 2, 4, 4, 4]] },
  { name: '3-D 3×2×3 pads 1 dilations [2,1,1] ceilMode, countIncludePad', attrs: { kernelShape: [3, 2, 3], strides: [2, 1, 2], pads: [1, 1, 1, 1, 0, 1], dilations: [2, 1, 1], ceilMode: true, countIncludePad: true }, inputs: [[1, 2, 6, 4, 5]] },
  { name: '3-D 3×3×3 pads 1 stride 2, excluding pads', attrs: { kernelShape: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] }, inputs: [[1, 2, 5, 5, 5]] },
]);
