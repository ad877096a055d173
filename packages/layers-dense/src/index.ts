/**
 * @hubel/layers-dense: Linear (ONNX Gemm), Flatten. Register with `registry.use(denseLayers)`.
 */
import { definePlugin } from '@hubel/core';
import { flattenCases } from './flatten/cases.js';
import { flattenCpu } from './flatten/cpu.js';
import { Flatten } from './flatten/definition.js';
import { linearCases } from './linear/cases.js';
import { linearCpu } from './linear/cpu.js';
import { Linear } from './linear/definition.js';

export { Linear } from './linear/definition.js';
export { Flatten } from './flatten/definition.js';

export const denseLayers = definePlugin({
  name: '@hubel/layers-dense',
  layers: [Linear, Flatten],
  kernels: [linearCpu, flattenCpu],
  cases: [...linearCases, ...flattenCases],
});
