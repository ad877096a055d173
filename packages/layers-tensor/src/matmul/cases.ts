import { defineCases } from '@hubel/core';
import { MatMul } from './definition.js';

export const matmulCases = defineCases(MatMul, [
  { name: '2-D [3, 4]·[4, 5]', inputs: [[3, 4], [4, 5]] },
  { name: 'batched [2, 3, 4]·[4, 2] (B broadcast)', inputs: [[2, 3, 4], [4, 2]] },
  { name: 'batch broadcast [2, 1, 3, 4]·[3, 4, 2]', inputs: [[2, 1, 3, 4], [3, 4, 2]] },
  { name: '1-D·3-D [4]·[2, 4, 3]', inputs: [[4], [2, 4, 3]] },
  { name: '2-D·1-D [3, 4]·[4]', inputs: [[3, 4], [4]] },
]);
