import { defineCases } from '@hubel/core';
import { Flatten } from './definition.js';

export const flattenCases = defineCases(Flatten, [
  { name: 'NCHW → [N, CHW]', inputs: [[2, 3, 4, 5]] },
  { name: 'axis 2', attrs: { axis: 2 }, inputs: [[2, 3, 4, 2]] },
  { name: 'axis 0', attrs: { axis: 0 }, inputs: [[3, 4]] },
]);
