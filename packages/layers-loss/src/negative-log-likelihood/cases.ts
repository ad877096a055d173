import { defineCases } from '@hubel/core';
import { NegativeLogLikelihoodLoss } from './definition.js';

export const negativeLogLikelihoodCases = defineCases(NegativeLogLikelihoodLoss, [
  { name: 'mean over batch 5 [5, 4]', inputs: [[5, 4], { shape: [5], values: { labels: 4 } }] },
  {
    name: 'class weights, mean divides by Σ W[label], ignoreIndex 2, [6, 3]; ∂C/∂W',
    attrs: { ignoreIndex: 2 },
    inputs: [[6, 3], { shape: [6], values: { labels: 3 } }, { shape: [3], values: 'positive' }],
  },
  {
    name: "reduction 'none', per pixel [2, 3, 2, 2] with weights",
    attrs: { reduction: 'none' },
    inputs: [[2, 3, 2, 2], { shape: [2, 2, 2], values: { labels: 3 } }, { shape: [3], values: 'positive' }],
  },
  { name: 'sum, [3, 5, 2]', attrs: { reduction: 'sum' }, inputs: [[3, 5, 2], { shape: [3, 2], values: { labels: 5 } }] },
]);
