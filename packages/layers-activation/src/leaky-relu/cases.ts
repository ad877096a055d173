import { defineCases } from '@hubel/core';
import { LeakyRelu } from './definition.js';

// kink: the slope jumps from α to 1 at 0; scalars within ~ε of it are skipped by the checker.
export const leakyReluCases = defineCases(LeakyRelu, [
  { name: 'default alpha, single sample [1, 8]', inputs: [[1, 8]], kink: 1e-3 },
  { name: 'alpha 0.2, batch 4 [4, 6]', attrs: { alpha: 0.2 }, inputs: [[4, 6]], kink: 1e-3 },
  { name: 'alpha 0.1, NCHW [2, 3, 4, 4]', attrs: { alpha: 0.1 }, inputs: [[2, 3, 4, 4]], kink: 1e-3 },
]);
