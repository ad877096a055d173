import { defineCases } from '@hubel/core';
import { Softmax } from './definition.js';

export const softmaxCases = defineCases(Softmax, [
  { name: 'last axis, single sample [1, 7]', inputs: [[1, 7]] },
  { name: 'last axis, batch 4 [4, 10]', inputs: [[4, 10]] },
  { name: 'channel axis 1, NCHW [2, 4, 3, 3]', attrs: { axis: 1 }, inputs: [[2, 4, 3, 3]] },
  { name: 'axis -2, NCHW [2, 3, 5, 2]', attrs: { axis: -2 }, inputs: [[2, 3, 5, 2]] },
  { name: 'batch axis 0 [5, 3]', attrs: { axis: 0 }, inputs: [[5, 3]] },
]);
