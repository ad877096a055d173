import { defineCases } from '@hubel/core';
import { PRelu } from './definition.js';

// kink: the slope jumps at x = 0; scalars within ~ε of it are skipped by the checker.
export const preluCases = defineCases(PRelu, [
  { name: 'per channel, single sample [1, 6]', inputs: [[1, 6]], kink: 1e-3 },
  { name: 'per channel, batch 4 [4, 5]', inputs: [[4, 5]], kink: 1e-3 },
  { name: 'per channel, NCHW [2, 3, 4, 4]', inputs: [[2, 3, 4, 4]], kink: 1e-3 },
  { name: 'shared, NCHW [3, 2, 3, 3]', attrs: { channelShared: true }, inputs: [[3, 2, 3, 3]], kink: 1e-3 },
  { name: 'shared, batch 2 [2, 7]', attrs: { channelShared: true }, inputs: [[2, 7]], kink: 1e-3 },
  { name: 'slopeShape [4] along the last axis of NCHW [2, 2, 3, 4] (ONNX broadcast)', attrs: { slopeShape: [4] }, inputs: [[2, 2, 3, 4]], kink: 1e-3 },
  { name: 'slopeShape [3, 1, 4] on NCHW [2, 3, 2, 4]', attrs: { slopeShape: [3, 1, 4] }, inputs: [[2, 3, 2, 4]], kink: 1e-3 },
  // Kept axes N and H with W broadcast inside: no index pattern fits, so WebGPU reads an expanded copy.
  { name: 'slopeShape [2, 1, 3, 1] (per sample and row) on [2, 2, 3, 2]', attrs: { slopeShape: [2, 1, 3, 1] }, inputs: [[2, 2, 3, 2]], kink: 1e-3 },
]);
