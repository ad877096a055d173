/**
 * @hubel/backend-webgpu: the WebGPU backend for browsers (navigator.gpu) and Node (the optional
 * `webgpu` package, Dawn). `registry.use(webgpuBackend)` registers the factory named 'webgpu';
 * `await createWebGpuBackend()` makes one directly. Kernels for 'webgpu' live in the layer
 * packages beside their CPU kernels and use `backend.blocks`.
 */
import { definePlugin } from '@hubel/core';
import { WebGpuBackend, type WebGpuBackendOptions } from './backend.js';

export { WebGpuBackend, type WebGpuBackendOptions, type WebGpuStats } from './backend.js';
export { WebGpuBlocks, channelBroadcast, reducedAxisBroadcast, window2d, outExtent, windowView } from './blocks/index.js';
export type { Broadcast, MapInput, MapOptions, GemmOptions, GemmSpec, PadMode, ReduceOp, ReduceOptions, WindowAxis, WindowDepth, WindowOp, WindowView, WindowGeometry, Window2d } from './blocks/index.js';
export { REQUIRED_LIMITS, type DeviceOptions } from './device.js';
export { LINEAR_INDEX, WG, grid, read, write, programSource, type Program, type StorageBinding, type UniformType } from './program.js';
export { sizeClass } from './buffer-pool.js';

declare module '@hubel/core' {
  interface BackendTypes {
    webgpu: WebGpuBackend;
  }
}

/**
 * Finds a WebGPU adapter and creates the backend. Throws a HubelError explaining what was
 * tried when no adapter exists (no navigator.gpu, the `webgpu` package missing, no driver).
 */
export function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return WebGpuBackend.create(options);
}

/** The plugin: registers the backend factory 'webgpu' (`registry.createBackend('webgpu')`). */
export const webgpuBackend = definePlugin({
  name: '@hubel/backend-webgpu',
  backends: [{ name: 'webgpu', create: (o?: Record<string, unknown>) => WebGpuBackend.create(o as WebGpuBackendOptions) }],
});
