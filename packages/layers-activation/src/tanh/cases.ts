import { defineCases } from '@hubel/core';
import { Tanh } from './definition.js';

export const tanhCases = defineCases(Tanh, [
  { name: 'single sample [1, 6]', inputs: [[1, 6]] },
  { name: 'batch 5 [5, 8]', inputs: [[5, 8]] },
  { name: 'NCHW [3, 2, 4, 4]', inputs: [[3, 2, 4, 4]] },
]);
