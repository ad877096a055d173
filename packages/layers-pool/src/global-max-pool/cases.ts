import { defineCases } from '@hubel/core';
import { GlobalMaxPool } from './definition.js';

// Normal draws make ties improbable; `kink` skips a scalar whose perturbation moves the arg-max.
export const globalMaxPoolCases = defineCases(GlobalMaxPool, [
  { name: '2-D batch 2', inputs: [[2, 3, 4, 5]], kink: 1e-3 },
  { name: '1-D batch 3', inputs: [[3, 2, 7]], kink: 1e-3 },
]);
