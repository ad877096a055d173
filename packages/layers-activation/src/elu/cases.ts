import { defineCases } from '@hubel/core';
import { Elu } from './definition.js';

// With α ≠ 1 the slope jumps at 0 (α on the left, 1 on the right): kink set for those cases.
export const eluCases = defineCases(Elu, [
  { name: 'default alpha, single sample [1, 8]', inputs: [[1, 8]] },
  { name: 'alpha 0.5, batch 3 [3, 7]', attrs: { alpha: 0.5 }, inputs: [[3, 7]], kink: 1e-3 },
  { name: 'alpha 1.5, NCHW [2, 2, 3, 5]', attrs: { alpha: 1.5 }, inputs: [[2, 2, 3, 5]], kink: 1e-3 },
]);
