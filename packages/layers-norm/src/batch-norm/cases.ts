import { defineCases } from '@hubel/core';
import { BatchNormalization } from './definition.js';

const trainingModeExport =
  "ONNX requires a training_mode node to name all 3 outputs, and io's exporter leaves out the unread running_mean/running_var of a case's one-node model (the conformance cases cover training-mode import)";

export const batchNormCases = defineCases(BatchNormalization, [
  { name: 'train [N, C] per unit, batch 5, 4 units', inputs: [[5, 4]], mode: 'train' },
  { name: 'train [N, C, H, W] per channel, 2×3×4×4', inputs: [[2, 3, 4, 4]], mode: 'train' },
  { name: 'train [N, C, L] 3×2×5, epsilon 0.1', attrs: { epsilon: 0.1 }, inputs: [[3, 2, 5]], mode: 'train' },
  { name: 'train single image 1×2×3×3 (statistics over H·W)', inputs: [[1, 2, 3, 3]], mode: 'train' },
  { name: 'eval [N, C, H, W] 2×3×3×3 (stored statistics)', inputs: [[2, 3, 3, 3]], mode: 'eval' },
  { name: 'eval [N, C] single sample 1×6', inputs: [[1, 6]], mode: 'eval' },
  // An ONNX training graph's node: batch statistics even in an eval run. (Cases bind only Y; the
  // running_mean/running_var outputs have their own checks in batch-norm.test.ts.)
  { name: 'trainingMode in an eval run [N, C, H, W] 2×3×3×3 (batch statistics)', attrs: { trainingMode: true }, inputs: [[2, 3, 3, 3]], mode: 'eval', skipSuites: { onnx: trainingModeExport } },
  { name: 'trainingMode in a train run [N, C] 4×3, momentum 0.5', attrs: { trainingMode: true, momentum: 0.5 }, inputs: [[4, 3]], mode: 'train', skipSuites: { onnx: trainingModeExport } },
]);
