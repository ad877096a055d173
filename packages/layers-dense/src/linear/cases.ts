import { defineCases } from '@hubel/core';
import { Linear } from './definition.js';

export const linearCases = defineCases(Linear, [
  { name: 'single sample 5→3', attrs: { outFeatures: 3 }, inputs: [[1, 5]] },
  { name: 'batch 4, 7→6', attrs: { outFeatures: 6 }, inputs: [[4, 7]] },
  { name: 'batch 3, no bias, 9→1', attrs: { outFeatures: 1, bias: false }, inputs: [[3, 9]] },
  { name: 'odd sizes 13→17 batch 5', attrs: { outFeatures: 17 }, inputs: [[5, 13]] },
]);
