import { defineCases } from '@hubel/core';
import { Dropout } from './definition.js';

// The gradient checker reseeds the rng before every forward, so each evaluation draws the same mask.
export const dropoutCases = defineCases(Dropout, [
  { name: 'train ratio 0.5, [4, 6]', attrs: { ratio: 0.5 }, inputs: [[4, 6]], mode: 'train' },
  { name: 'train ratio 0.2 on feature maps 2×3×4×4', attrs: { ratio: 0.2 }, inputs: [[2, 3, 4, 4]], mode: 'train' },
  { name: 'train ratio 0 (identity)', attrs: { ratio: 0 }, inputs: [[3, 5]], mode: 'train' },
  { name: 'eval (identity)', attrs: { ratio: 0.7 }, inputs: [[3, 5]], mode: 'eval' },
]);
