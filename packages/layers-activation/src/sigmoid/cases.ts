import { defineCases } from '@hubel/core';
import { Sigmoid } from './definition.js';

export const sigmoidCases = defineCases(Sigmoid, [
  { name: 'single sample [1, 6]', inputs: [[1, 6]] },
  { name: 'batch 4, wide range [4, 10]', inputs: [{ shape: [4, 10], values: { range: [-8, 8] } }] },
  { name: 'NCHW [2, 3, 3, 5]', inputs: [[2, 3, 3, 5]] },
]);
