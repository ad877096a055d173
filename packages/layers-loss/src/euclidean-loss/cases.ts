import { defineCases } from '@hubel/core';
import { EuclideanLoss } from './definition.js';

export const euclideanLossCases = defineCases(EuclideanLoss, [
  { name: 'single sample [1, 5], ∂C/∂x and ∂C/∂t', inputs: [[1, 5], [1, 5]] },
  { name: 'mean over batch 4 [4, 3]', inputs: [[4, 3], { shape: [4, 3], grad: false }] },
  { name: 'sum, batch 3 [3, 6]', attrs: { reduction: 'sum' }, inputs: [[3, 6], [3, 6]] },
  { name: 'NCHW [2, 3, 4, 4]', inputs: [[2, 3, 4, 4], [2, 3, 4, 4]] },
]);
