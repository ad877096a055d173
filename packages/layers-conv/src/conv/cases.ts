import { defineCases } from '@hubel/core';
import { Conv } from './definition.js';

// Each case: inputs + parameters well under 2,000 scalars (one finite-difference forward per scalar).
export const convCases = defineCases(Conv, [
  { name: '2-D 3×3 batch 2, 3→4', attrs: { outChannels: 4, kernelShape: [3, 3] }, inputs: [[2, 3, 5, 5]] },
  // 3×3 stride 1 over ≥ 8 channels: the CPU's Winograd path (odd output sizes, uneven pads).
  { name: '2-D 3×3 stride 1, 8→3, pads [1,0,2,1] (Winograd on the CPU)', attrs: { outChannels: 3, kernelShape: [3, 3], pads: [1, 0, 2, 1] }, inputs: [[2, 8, 5, 4]] },
  { name: '2-D 3×3 SAME_UPPER, 8→2, no bias (Winograd on the CPU)', attrs: { outChannels: 2, kernelShape: [3, 3], autoPad: 'SAME_UPPER', bias: false }, inputs: [[1, 8, 5, 5]] },
  { name: '2-D 5×5 stride 1, 8→2, pads [2,1,2,3] (Winograd on the CPU)', attrs: { outChannels: 2, kernelShape: [5, 5], pads: [2, 1, 2, 3] }, inputs: [[1, 8, 5, 4]] },
  { name: '2-D strides=2 asymmetric pads [1,0,2,1], 3×2 kernel', attrs: { outChannels: 3, kernelShape: [3, 2], strides: [2, 2], pads: [1, 0, 2, 1] }, inputs: [[2, 2, 6, 7]] },
  { name: '2-D dilations=2 pads=1', attrs: { outChannels: 2, kernelShape: [3, 3], dilations: [2, 2], pads: [1, 1, 1, 1] }, inputs: [[2, 2, 7, 7]] },
  { name: '2-D group=2 strides=[2,1] pads=1', attrs: { outChannels: 6, kernelShape: [3, 3], group: 2, strides: [2, 1], pads: [1, 1, 1, 1] }, inputs: [[2, 4, 5, 5]] },
  { name: '2-D depthwise group=3', attrs: { outChannels: 3, kernelShape: [3, 3], group: 3, pads: [1, 1, 1, 1] }, inputs: [[2, 3, 6, 6]] },
  { name: '2-D depthwise multiplier 2 (group=3, 3→6) strides=2', attrs: { outChannels: 6, kernelShape: [2, 2], group: 3, strides: [2, 2] }, inputs: [[2, 3, 5, 5]] },
  { name: '2-D SAME_UPPER strides=2 (odd total padding)', attrs: { outChannels: 2, kernelShape: [3, 4], strides: [2, 2], autoPad: 'SAME_UPPER' }, inputs: [[2, 2, 6, 5]] },
  { name: '2-D SAME_LOWER strides=2 (odd total padding)', attrs: { outChannels: 2, kernelShape: [3, 4], strides: [2, 2], autoPad: 'SAME_LOWER' }, inputs: [[2, 2, 6, 5]] },
  { name: '2-D VALID no bias', attrs: { outChannels: 3, kernelShape: [2, 3], autoPad: 'VALID', bias: false }, inputs: [[3, 2, 4, 5]] },
  { name: '1-D strides=2 dilations=2 pads [1,2]', attrs: { outChannels: 4, kernelShape: [3], strides: [2], dilations: [2], pads: [1, 2] }, inputs: [[3, 2, 11]] },
  { name: '1-D group=2 pads [0,3]', attrs: { outChannels: 4, kernelShape: [4], group: 2, pads: [0, 3] }, inputs: [[2, 4, 9]] },
  { name: '1-D SAME_LOWER strides=3', attrs: { outChannels: 2, kernelShape: [4], strides: [3], autoPad: 'SAME_LOWER' }, inputs: [[2, 3, 10]] },
]);
