/**
 * @hubel/layers-loss: EuclideanLoss (ai.hubel) and SoftmaxCrossEntropy (ONNX
 * SoftmaxCrossEntropyLoss), each producing a scalar cost. Register with `registry.use(lossLayers)`.
 */
import { definePlugin } from '@hubel/core';
import { euclideanLossCases } from './euclidean-loss/cases.js';
import { euclideanLossCpu } from './euclidean-loss/cpu.js';
import { euclideanLossWebGpu } from './euclidean-loss/webgpu.js';
import { EuclideanLoss } from './euclidean-loss/definition.js';
import { softmaxCrossEntropyCases } from './softmax-cross-entropy/cases.js';
import { softmaxCrossEntropyCpu } from './softmax-cross-entropy/cpu.js';
import { softmaxCrossEntropyWebGpu } from './softmax-cross-entropy/webgpu.js';
import { SoftmaxCrossEntropy } from './softmax-cross-entropy/definition.js';

export { EuclideanLoss } from './euclidean-loss/definition.js';
export { SoftmaxCrossEntropy } from './softmax-cross-entropy/definition.js';

/** The plugin: the two loss layers, their CPU kernels and their test cases. */
export const lossLayers = definePlugin({
  name: '@hubel/layers-loss',
  layers: [EuclideanLoss, SoftmaxCrossEntropy],
  kernels: [euclideanLossCpu, softmaxCrossEntropyCpu, euclideanLossWebGpu, softmaxCrossEntropyWebGpu],
  cases: [...euclideanLossCases, ...softmaxCrossEntropyCases],
});
