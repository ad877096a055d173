import { defineCases } from '@hubel/core';
import { ReduceMax, ReduceMean, ReduceSum } from './definition.js';

export const reduceCases = [
  ...defineCases(ReduceSum, [
    { name: 'axis 1 keepdims [2, 3, 4]', attrs: { axes: [1] }, inputs: [[2, 3, 4]] },
    { name: 'axes [0, 2] no keepdims [2, 3, 4]', attrs: { axes: [0, 2], keepdims: false }, inputs: [[2, 3, 4]] },
    { name: 'all axes [3, 4]', inputs: [[3, 4]] },
  ]),
  ...defineCases(ReduceMean, [
    { name: 'axis -1 [2, 3, 5]', attrs: { axes: [-1] }, inputs: [[2, 3, 5]] },
    { name: 'spatial axes [2, 3] of NCHW [2, 3, 2, 2]', attrs: { axes: [2, 3], keepdims: false }, inputs: [[2, 3, 2, 2]] },
  ]),
  ...defineCases(ReduceMax, [
    { name: 'axis 1 [3, 4, 2]', attrs: { axes: [1] }, inputs: [[3, 4, 2]], kink: 1e-3 },
    { name: 'all axes no keepdims [3, 5]', attrs: { keepdims: false }, inputs: [[3, 5]], kink: 1e-3 },
  ]),
];
