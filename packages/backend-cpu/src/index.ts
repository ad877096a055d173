/**
 * @hubel/backend-cpu: the reference backend. `registry.use(cpuBackend)` registers the factory;
 * `createCpuBackend({ dtype: 'float64' })` makes one directly (gradient checks).
 */
import { definePlugin } from '@hubel/core';
import { CpuBackend, type CpuBackendOptions } from './backend.js';

export { CpuBackend, CpuBlocks, type CpuBackendOptions, type GemmOptions } from './backend.js';
export { gemm, type GemmArgs, type F as FloatArray } from './blocks/gemm.js';
export { sumAxes, sumMiddle } from './blocks/reduce.js';
export { logSoftmaxAxis } from './blocks/softmax.js';
export { im2col, col2im, type ConvGeometry } from './blocks/im2col.js';
export { winogradConv, winogradFilterGrad, winogradFilterGradScratchSizes, winogradScratchSizes, winogradTiles, type WinogradShape } from './blocks/winograd.js';
export { transpose } from './blocks/transpose.js';
export { padSource, type PadMode } from './blocks/pad.js';
export { setGemmThreads, gemmThreads, gemmThreadsReady, gemmThreadsReason, gemmThreadStats } from './blocks/gemm-threads.js';
export { availableCpuKernels, cpuKernels, kernelPeakGflops, setCpuKernels, type CpuKernels, type CpuKernelsChoice } from './blocks/wasm-kernels.js';
export { windowTable, windowPlan, windowMax, windowSum, windowSumBackward, scatterAdd, type WindowAxis, type WindowTable, type WindowPlan, type WindowDivisor } from './blocks/window.js';

declare module '@hubel/core' {
  interface BackendTypes {
    cpu: CpuBackend;
  }
}

/** Creates a CPU backend directly (no registry needed): `createCpuBackend({ dtype: 'float64' })` for gradient checks. */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options);
}

/** The plugin registering the `'cpu'` backend factory: `registry.use(cpuBackend)`, then `registry.createBackend('cpu')`. */
export const cpuBackend = definePlugin({
  name: '@hubel/backend-cpu',
  backends: [{ name: 'cpu', create: (o?: Record<string, unknown>) => new CpuBackend(o as CpuBackendOptions) }],
});
