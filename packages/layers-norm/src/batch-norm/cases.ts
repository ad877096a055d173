import { defineCases } from '@hubel/core';
import { BatchNormalization } from './definition.js';

// Measured: ONNX Runtime 1.30's CPU kernel loads these exported training_mode nodes but its Y
// is not the batch-statistics normalization the ONNX spec defines (x = [1, 4, −1, 3] in one
// channel gives −0.04, 3.62, −2.48, 2.40 instead of (x − 1.75)/√3.6875 = −0.39, 1.17, −1.43, 0.65),
// while Hubel matches ONNX's own reference outputs in the conformance suite.
const ortTrainingMode =
  "ONNX Runtime 1.30's BatchNormalization training_mode output differs from the ONNX spec on these inputs; ONNX's own training-mode test cases pass in the conformance suite";

export const batchNormCases = defineCases(BatchNormalization, [
  { name: 'train [N, C] per unit, batch 5, 4 units', inputs: [[5, 4]], mode: 'train' },
  { name: 'train [N, C, H, W] per channel, 2×3×4×4', inputs: [[2, 3, 4, 4]], mode: 'train' },
  { name: 'train [N, C, L] 3×2×5, epsilon 0.1', attrs: { epsilon: 0.1 }, inputs: [[3, 2, 5]], mode: 'train' },
  { name: 'train single image 1×2×3×3 (statistics over H·W)', inputs: [[1, 2, 3, 3]], mode: 'train' },
  { name: 'eval [N, C, H, W] 2×3×3×3 (stored statistics)', inputs: [[2, 3, 3, 3]], mode: 'eval' },
  { name: 'eval [N, C] single sample 1×6', inputs: [[1, 6]], mode: 'eval' },
  // An ONNX training graph's node: batch statistics even in an eval run. (Cases bind only Y; the
  // running_mean/running_var outputs have their own checks in batch-norm.test.ts.)
  { name: 'trainingMode in an eval run [N, C, H, W] 2×3×3×3 (batch statistics)', attrs: { trainingMode: true }, inputs: [[2, 3, 3, 3]], mode: 'eval', skipSuites: { onnx: ortTrainingMode } },
  { name: 'trainingMode in a train run [N, C] 4×3, momentum 0.5', attrs: { trainingMode: true, momentum: 0.5 }, inputs: [[4, 3]], mode: 'train', skipSuites: { onnx: ortTrainingMode } },
]);
