/**
 * @hubel/layers-pool: MaxPool, AveragePool, SumPool (ai.hubel), GlobalAveragePool,
 * GlobalMaxPool, Maxout (ai.hubel), 1-D and 2-D, NCHW, with ONNX semantics. Register with
 * `registry.use(poolLayers)`; the CPU kernels run backend-cpu's shared window block.
 */
import { definePlugin } from '@hubel/core';
import { averagePoolCases } from './average-pool/cases.js';
import { averagePoolCpu } from './average-pool/cpu.js';
import { averagePoolWebGpu } from './average-pool/webgpu.js';
import { AveragePool } from './average-pool/definition.js';
import { globalAveragePoolCases } from './global-average-pool/cases.js';
import { globalAveragePoolCpu } from './global-average-pool/cpu.js';
import { globalAveragePoolWebGpu } from './global-average-pool/webgpu.js';
import { GlobalAveragePool } from './global-average-pool/definition.js';
import { globalMaxPoolCases } from './global-max-pool/cases.js';
import { globalMaxPoolCpu } from './global-max-pool/cpu.js';
import { globalMaxPoolWebGpu } from './global-max-pool/webgpu.js';
import { GlobalMaxPool } from './global-max-pool/definition.js';
import { maxPoolCases } from './max-pool/cases.js';
import { maxPoolCpu } from './max-pool/cpu.js';
import { maxPoolWebGpu } from './max-pool/webgpu.js';
import { MaxPool } from './max-pool/definition.js';
import { maxoutCases } from './maxout/cases.js';
import { maxoutCpu } from './maxout/cpu.js';
import { maxoutWebGpu } from './maxout/webgpu.js';
import { Maxout } from './maxout/definition.js';
import { sumPoolCases } from './sum-pool/cases.js';
import { sumPoolCpu } from './sum-pool/cpu.js';
import { sumPoolWebGpu } from './sum-pool/webgpu.js';
import { SumPool } from './sum-pool/definition.js';

export { MaxPool } from './max-pool/definition.js';
export { AveragePool } from './average-pool/definition.js';
export { SumPool } from './sum-pool/definition.js';
export { GlobalAveragePool } from './global-average-pool/definition.js';
export { GlobalMaxPool } from './global-max-pool/definition.js';
export { Maxout } from './maxout/definition.js';
export { windowAxes, type WindowAttrs, type AutoPad } from './shared/window-attrs.js';

/** The plugin: max, average, sum and global pooling and Maxout, their CPU and WebGPU kernels and their test cases. */
export const poolLayers = definePlugin({
  name: '@hubel/layers-pool',
  layers: [MaxPool, AveragePool, SumPool, GlobalAveragePool, GlobalMaxPool, Maxout],
  kernels: [
    maxPoolCpu, averagePoolCpu, sumPoolCpu, globalAveragePoolCpu, globalMaxPoolCpu, maxoutCpu,
    maxPoolWebGpu, averagePoolWebGpu, sumPoolWebGpu, globalAveragePoolWebGpu, globalMaxPoolWebGpu, maxoutWebGpu,
  ],
  cases: [...maxPoolCases, ...averagePoolCases, ...sumPoolCases, ...globalAveragePoolCases, ...globalMaxPoolCases, ...maxoutCases],
});
