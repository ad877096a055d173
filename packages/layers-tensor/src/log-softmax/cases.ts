import { defineCases } from '@hubel/core';
import { LogSoftmax } from './definition.js';

export const logSoftmaxCases = defineCases(LogSoftmax, [
  { name: 'last axis [3, 5]', inputs: [[3, 5]] },
  { name: 'axis 1 of [2, 4, 3]', attrs: { axis: 1 }, inputs: [[2, 4, 3]] },
  { name: 'axis 0 of [4, 3]', attrs: { axis: 0 }, inputs: [[4, 3]] },
]);
