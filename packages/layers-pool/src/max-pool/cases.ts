import { defineCases } from '@hubel/core';
import { MaxPool } from './definition.js';

// Inputs are normal draws, so ties (equal maxima in one window) have probability ~0; `kink`
// still skips any scalar whose ±ε perturbation switches the arg-max.
const kink = 1e-3;

export const maxPoolCases = defineCases(MaxPool, [
  { name: '2-D 2×2 stride 2, batch 2', attrs: { kernelShape: [2, 2], strides: [2, 2] }, inputs: [[2, 2, 6, 6]], kink },
  { name: '2-D AlexNet overlapping 3×3 stride 2, batch 2', attrs: { kernelShape: [3, 3], strides: [2, 2] }, inputs: [[2, 3, 7, 7]], kink },
  { name: '2-D 3×2 pads [1,0,2,1] ceilMode', attrs: { kernelShape: [3, 2], strides: [2, 2], pads: [1, 0, 2, 1], ceilMode: true }, inputs: [[2, 2, 6, 7]], kink },
  { name: '2-D dilations [2,1] pads 1 stride 1', attrs: { kernelShape: [2, 3], dilations: [2, 1], pads: [1, 1, 1, 1] }, inputs: [[2, 2, 5, 5]], kink },
  { name: '2-D SAME_UPPER 3×3 stride 2 (odd padding)', attrs: { kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }, inputs: [[2, 2, 6, 6]], kink },
  { name: '2-D SAME_LOWER 2×2 stride 1', attrs: { kernelShape: [2, 2], autoPad: 'SAME_LOWER' }, inputs: [[2, 2, 5, 4]], kink },
  { name: '1-D k3 stride 2 pads [1,1] ceilMode, batch 3', attrs: { kernelShape: [3], strides: [2], pads: [1, 1], ceilMode: true }, inputs: [[3, 2, 10]], kink },
  { name: '1-D k2 dilation 3, batch 2', attrs: { kernelShape: [2], dilations: [3] }, inputs: [[2, 3, 9]], kink },
  { name: '3-D 2×2×2 stride 2, batch 2', attrs: { kernelShape: [2, 2, 2], strides: [2, 2, 2] }, inputs: [[2, 2, 4, 4, 4]], kink },
  { name: '3-D 3×2×3 pads [1,0,1,1,1,0] dilations [1,2,1] ceilMode', attrs: { kernelShape: [3, 2, 3], strides: [2, 1, 2], pads: [1, 0, 1, 1, 1, 0], dilations: [1, 2, 1], ceilMode: true }, inputs: [[1, 2, 5, 5, 6]], kink },
  { name: '2-D 3×3 stride 2 pads 1, Indices column-major (storageOrder 1)', attrs: { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], storageOrder: 1 }, inputs: [[2, 2, 5, 6]], kink },
  { name: '3-D 2×3×2 SAME_UPPER, Indices column-major (storageOrder 1)', attrs: { kernelShape: [2, 3, 2], autoPad: 'SAME_UPPER', storageOrder: 1 }, inputs: [[1, 2, 3, 4, 5]], kink },
]);
