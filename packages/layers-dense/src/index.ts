/**
 * @hubel/layers-dense: Linear (ONNX Gemm), Flatten, Dropout. Register with `registry.use(denseLayers)`.
 */
import { definePlugin } from '@hubel/core';
import { dropoutCases } from './dropout/cases.js';
import { dropoutCpu } from './dropout/cpu.js';
import { dropoutWebGpu } from './dropout/webgpu.js';
import { Dropout } from './dropout/definition.js';
import { flattenCases } from './flatten/cases.js';
import { flattenCpu } from './flatten/cpu.js';
import { flattenWebGpu } from './flatten/webgpu.js';
import { Flatten } from './flatten/definition.js';
import { linearCases } from './linear/cases.js';
import { linearCpu } from './linear/cpu.js';
import { linearWebGpu } from './linear/webgpu.js';
import { Linear } from './linear/definition.js';

export { Linear } from './linear/definition.js';
export { Flatten } from './flatten/definition.js';
export { Dropout } from './dropout/definition.js';

/** The plugin: Linear, Flatten and Dropout, their CPU and WebGPU kernels and their test cases. */
export const denseLayers = definePlugin({
  name: '@hubel/layers-dense',
  layers: [Linear, Flatten, Dropout],
  kernels: [linearCpu, flattenCpu, dropoutCpu, linearWebGpu, flattenWebGpu, dropoutWebGpu],
  cases: [...linearCases, ...flattenCases, ...dropoutCases],
});
