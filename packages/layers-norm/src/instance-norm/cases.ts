import { defineCases } from '@hubel/core';
import { InstanceNormalization } from './definition.js';

/** Small InstanceNormalization configurations for the gradient-check, parity and ONNX suites. */
export const instanceNormCases = defineCases(InstanceNormalization, [
  { name: '[N, C, H, W] 2×3×4×4', inputs: [[2, 3, 4, 4]] },
  { name: '[N, C, L] rank 3, 3×2×5, epsilon 0.1', attrs: { epsilon: 0.1 }, inputs: [[3, 2, 5]] },
  { name: '[N, C, D, H, W] rank 5, 2×2×2×3×2', inputs: [[2, 2, 2, 3, 2]] },
  { name: 'single image 1×4×3×3, eval mode (the same statistics)', inputs: [[1, 4, 3, 3]], mode: 'eval' },
]);
