import { defineCases } from '@hubel/core';
import { Relu } from './definition.js';

// kink: ReLU has no derivative at 0; a scalar within ~ε of it is skipped by the checker.
export const reluCases = defineCases(Relu, [
  { name: 'single sample [1, 7]', inputs: [[1, 7]], kink: 1e-3 },
  { name: 'batch 4 [4, 9]', inputs: [[4, 9]], kink: 1e-3 },
  { name: 'NCHW [2, 3, 4, 5]', inputs: [[2, 3, 4, 5]], kink: 1e-3 },
]);
