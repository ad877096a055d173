import { defineCases } from '@hubel/core';
import { GlobalAveragePool } from './definition.js';

export const globalAveragePoolCases = defineCases(GlobalAveragePool, [
  { name: '2-D batch 2', inputs: [[2, 3, 4, 5]] },
  { name: '1-D batch 3', inputs: [[3, 2, 7]] },
]);
