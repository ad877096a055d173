import { defineCases } from '@hubel/core';
import { GaussianRbf } from './definition.js';

// Inputs are normal(0, 1) and P uniform [0, 1): E‖x − p‖² ≈ K·(1 + 1/3), so β ≈ 1/K keeps y
// near e^−1.3, well inside the range where finite differences and float32 parity are sharp.
export const gaussianRbfCases = defineCases(GaussianRbf, [
  { name: '2×2 prototypes over 2 channels, batch 2', attrs: { prototypes: 3, kernelShape: [2, 2], beta: 0.12 }, inputs: [[2, 2, 4, 4]] },
  { name: '3×2 stride 2 pads [1,0,1,1]', attrs: { prototypes: 4, kernelShape: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1], beta: 0.1 }, inputs: [[2, 2, 5, 6]] },
  { name: 'prototype size = input (one window), 3 channels', attrs: { prototypes: 5, kernelShape: [3, 3], beta: 0.04 }, inputs: [[3, 3, 3, 3]] },
]);
