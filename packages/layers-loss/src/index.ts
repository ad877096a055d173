/**
 * @hubel/layers-loss: EuclideanLoss (ai.hubel), SoftmaxCrossEntropy (ONNX
 * SoftmaxCrossEntropyLoss) and NegativeLogLikelihoodLoss, each producing a cost (a scalar, or
 * per-position losses with reduction 'none'). Register with `registry.use(lossLayers)`.
 */
import { definePlugin } from '@hubel/core';
import { euclideanLossCases } from './euclidean-loss/cases.js';
import { euclideanLossCpu } from './euclidean-loss/cpu.js';
import { euclideanLossWebGpu } from './euclidean-loss/webgpu.js';
import { EuclideanLoss } from './euclidean-loss/definition.js';
import { negativeLogLikelihoodCases } from './negative-log-likelihood/cases.js';
import { negativeLogLikelihoodCpu } from './negative-log-likelihood/cpu.js';
import { NegativeLogLikelihoodLoss } from './negative-log-likelihood/definition.js';
import { negativeLogLikelihoodWebGpu } from './negative-log-likelihood/webgpu.js';
import { softmaxCrossEntropyCases } from './softmax-cross-entropy/cases.js';
import { softmaxCrossEntropyCpu } from './softmax-cross-entropy/cpu.js';
import { softmaxCrossEntropyWebGpu } from './softmax-cross-entropy/webgpu.js';
import { SoftmaxCrossEntropy } from './softmax-cross-entropy/definition.js';

export { EuclideanLoss } from './euclidean-loss/definition.js';
export { SoftmaxCrossEntropy } from './softmax-cross-entropy/definition.js';
export { NegativeLogLikelihoodLoss } from './negative-log-likelihood/definition.js';

/** The plugin: the loss layers, their CPU and WebGPU kernels and their test cases. */
export const lossLayers = definePlugin({
  name: '@hubel/layers-loss',
  layers: [EuclideanLoss, SoftmaxCrossEntropy, NegativeLogLikelihoodLoss],
  kernels: [euclideanLossCpu, softmaxCrossEntropyCpu, negativeLogLikelihoodCpu, euclideanLossWebGpu, softmaxCrossEntropyWebGpu, negativeLogLikelihoodWebGpu],
  cases: [...euclideanLossCases, ...softmaxCrossEntropyCases, ...negativeLogLikelihoodCases],
});
