/**
 * `@hubel/backend-webgpu/testing`: the helper every WebGPU test suite goes through, and the
 * CPU-vs-WebGPU parity suite a third-party plugin runs on its own layers with one call.
 */
export { gpuBackendOrSkip, type GpuForTests, type DescribeLike } from './gpu-or-skip.js';
export { parityPlugin, parityTolerance, longestReduction, compareCaseResults, type ParityOptions, type TestFn } from './parity.js';
