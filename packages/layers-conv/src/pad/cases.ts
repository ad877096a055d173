import { defineCases } from '@hubel/core';
import { Pad } from './definition.js';

export const padCases = defineCases(Pad, [
  { name: 'constant 2-D, asymmetric pads, value 0.5', attrs: { pads: [0, 0, 1, 2, 0, 0, 2, 1], value: 0.5 }, inputs: [[2, 2, 3, 4]] },
  { name: 'reflect 2-D, pads up to size − 1', attrs: { mode: 'reflect', pads: [0, 0, 2, 1, 0, 0, 1, 3] }, inputs: [[2, 2, 3, 4]] },
  { name: 'edge 2-D, pads wider than the input', attrs: { mode: 'edge', pads: [0, 0, 3, 1, 0, 0, 1, 5] }, inputs: [[2, 2, 2, 3]] },
  { name: 'reflect 1-D', attrs: { mode: 'reflect', pads: [0, 0, 3, 0, 0, 4] }, inputs: [[3, 2, 5]] },
  { name: 'edge on batch and channel axes too', attrs: { mode: 'edge', pads: [1, 0, 1, 0, 2, 1] }, inputs: [[2, 3, 4]] },
]);
