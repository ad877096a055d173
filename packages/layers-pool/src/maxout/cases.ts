import { defineCases } from '@hubel/core';
import { Maxout } from './definition.js';

// Normal draws make ties improbable; `kink` skips a scalar whose perturbation moves the arg-max.
export const maxoutCases = defineCases(Maxout, [
  { name: '2-D groups of 3, batch 2', attrs: { groupSize: 3 }, inputs: [[2, 6, 3, 3]], kink: 1e-3 },
  { name: '1-D groups of 2, batch 3', attrs: { groupSize: 2 }, inputs: [[3, 4, 5]], kink: 1e-3 },
  { name: 'dense [N, C] groups of 4', attrs: { groupSize: 4 }, inputs: [[4, 8]], kink: 1e-3 },
  { name: 'groupSize 1 is the identity', attrs: { groupSize: 1 }, inputs: [[2, 3, 2, 2]], kink: 1e-3 },
]);
