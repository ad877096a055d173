/**
 * @hubel/layers-activation: Relu, Tanh, Sigmoid, LeakyRelu, Elu, PRelu, Softmax (ONNX op names).
 * Register with `registry.use(activationLayers)`.
 */
import { definePlugin } from '@hubel/core';
import { eluCases } from './elu/cases.js';
import { eluCpu } from './elu/cpu.js';
import { eluWebGpu } from './elu/webgpu.js';
import { Elu } from './elu/definition.js';
import { leakyReluCases } from './leaky-relu/cases.js';
import { leakyReluCpu } from './leaky-relu/cpu.js';
import { leakyReluWebGpu } from './leaky-relu/webgpu.js';
import { LeakyRelu } from './leaky-relu/definition.js';
import { preluCases } from './prelu/cases.js';
import { preluCpu } from './prelu/cpu.js';
import { preluWebGpu } from './prelu/webgpu.js';
import { PRelu } from './prelu/definition.js';
import { reluCases } from './relu/cases.js';
import { reluCpu } from './relu/cpu.js';
import { reluWebGpu } from './relu/webgpu.js';
import { Relu } from './relu/definition.js';
import { sigmoidCases } from './sigmoid/cases.js';
import { sigmoidCpu } from './sigmoid/cpu.js';
import { sigmoidWebGpu } from './sigmoid/webgpu.js';
import { Sigmoid } from './sigmoid/definition.js';
import { softmaxCases } from './softmax/cases.js';
import { softmaxCpu } from './softmax/cpu.js';
import { softmaxWebGpu } from './softmax/webgpu.js';
import { Softmax } from './softmax/definition.js';
import { tanhCases } from './tanh/cases.js';
import { tanhCpu } from './tanh/cpu.js';
import { tanhWebGpu } from './tanh/webgpu.js';
import { Tanh } from './tanh/definition.js';

export { Relu } from './relu/definition.js';
export { Tanh } from './tanh/definition.js';
export { Sigmoid } from './sigmoid/definition.js';
export { LeakyRelu } from './leaky-relu/definition.js';
export { Elu } from './elu/definition.js';
export { PRelu, perChannelSlopeShape } from './prelu/definition.js';
export { Softmax } from './softmax/definition.js';

/** The plugin: the seven activation layers, their CPU kernels and their test cases. */
export const activationLayers = definePlugin({
  name: '@hubel/layers-activation',
  layers: [Relu, Tanh, Sigmoid, LeakyRelu, Elu, PRelu, Softmax],
  kernels: [
    reluCpu, tanhCpu, sigmoidCpu, leakyReluCpu, eluCpu, preluCpu, softmaxCpu,
    reluWebGpu, tanhWebGpu, sigmoidWebGpu, leakyReluWebGpu, eluWebGpu, preluWebGpu, softmaxWebGpu,
  ],
  cases: [...reluCases, ...tanhCases, ...sigmoidCases, ...leakyReluCases, ...eluCases, ...preluCases, ...softmaxCases],
});
