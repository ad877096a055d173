import { defineCases } from '@hubel/core';
import { SoftmaxCrossEntropy } from './definition.js';

export const softmaxCrossEntropyCases = defineCases(SoftmaxCrossEntropy, [
  { name: 'single sample [1, 6]', inputs: [[1, 6], { shape: [1], values: { labels: 6 } }] },
  { name: 'mean over batch 5 [5, 4]', inputs: [[5, 4], { shape: [5], values: { labels: 4 } }] },
  { name: 'sum, batch 3 [3, 7]', attrs: { reduction: 'sum' }, inputs: [[3, 7], { shape: [3], values: { labels: 7 } }] },
  {
    name: 'label smoothing 0.1, batch 4 [4, 5]',
    attrs: { labelSmoothing: 0.1 },
    inputs: [[4, 5], { shape: [4], values: { labels: 5 } }],
    skipSuites: { onnx: 'ONNX SoftmaxCrossEntropyLoss has no label smoothing; export refuses it' },
  },
  {
    name: 'ignoreIndex 0, batch 6 [6, 3]',
    attrs: { ignoreIndex: 0 },
    inputs: [[6, 3], { shape: [6], values: { labels: 3 } }],
  },
  {
    name: 'per pixel [2, 3, 4, 4] with labels [2, 4, 4], smoothing 0.2',
    attrs: { labelSmoothing: 0.2 },
    inputs: [[2, 3, 4, 4], { shape: [2, 4, 4], values: { labels: 3 } }],
    skipSuites: { onnx: 'ONNX SoftmaxCrossEntropyLoss has no label smoothing; export refuses it' },
  },
  {
    name: 'class weights W [4], mean over [5, 4] divides by Σ W[label]; ∂C/∂W',
    inputs: [[5, 4], { shape: [5], values: { labels: 4 } }, { shape: [4], values: 'positive' }],
  },
  {
    name: "reduction 'none', per pixel [2, 3, 2, 3] with weights and ignoreIndex 1",
    attrs: { reduction: 'none', ignoreIndex: 1 },
    inputs: [[2, 3, 2, 3], { shape: [2, 2, 3], values: { labels: 3 } }, { shape: [3], values: 'positive' }],
  },
  {
    name: "reduction 'none' without weights [4, 5]",
    attrs: { reduction: 'none' },
    inputs: [[4, 5], { shape: [4], values: { labels: 5 } }],
  },
  {
    name: 'sum with weights and smoothing 0.1, [3, 4, 5]',
    attrs: { reduction: 'sum', labelSmoothing: 0.1 },
    inputs: [[3, 4, 5], { shape: [3, 5], values: { labels: 4 } }, { shape: [4], values: 'positive' }],
    skipSuites: { onnx: 'ONNX SoftmaxCrossEntropyLoss has no label smoothing; export refuses it' },
  },
]);
