import { defineCases } from '@hubel/core';
import { BatchNormalization } from './definition.js';

export const batchNormCases = defineCases(BatchNormalization, [
  { name: 'train [N, C] per unit, batch 5, 4 units', inputs: [[5, 4]], mode: 'train' },
  { name: 'train [N, C, H, W] per channel, 2×3×4×4', inputs: [[2, 3, 4, 4]], mode: 'train' },
  { name: 'train [N, C, L] 3×2×5, epsilon 0.1', attrs: { epsilon: 0.1 }, inputs: [[3, 2, 5]], mode: 'train' },
  { name: 'train single image 1×2×3×3 (statistics over H·W)', inputs: [[1, 2, 3, 3]], mode: 'train' },
  { name: 'eval [N, C, H, W] 2×3×3×3 (stored statistics)', inputs: [[2, 3, 3, 3]], mode: 'eval' },
  { name: 'eval [N, C] single sample 1×6', inputs: [[1, 6]], mode: 'eval' },
]);
