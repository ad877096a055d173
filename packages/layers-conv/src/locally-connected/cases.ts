import { defineCases } from '@hubel/core';
import { LocallyConnected } from './definition.js';

export const locallyConnectedCases = defineCases(LocallyConnected, [
  { name: '2-D 3×3 batch 2, 2→3', attrs: { outChannels: 3, kernelShape: [3, 3] }, inputs: [[2, 2, 5, 5]] },
  { name: '2-D strides=2 pads=1 dilations=[1,2]', attrs: { outChannels: 2, kernelShape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 2] }, inputs: [[3, 2, 5, 6]] },
  { name: '1-D strides=2 pads [1,1] no bias', attrs: { outChannels: 3, kernelShape: [3], strides: [2], pads: [1, 1], bias: false }, inputs: [[3, 2, 9]] },
]);
