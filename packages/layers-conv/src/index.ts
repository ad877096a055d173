/**
 * @hubel/layers-conv: Conv (1-D and 2-D, strides, pads, dilations, groups, auto_pad), Pad
 * (constant, reflect, edge), LocallyConnected and GaussianRbf (ai.hubel; HMAX's S2), and Gabor
 * filter banks (a generator, and Conv's `init: 'gabor'`). Register with
 * `registry.use(convLayers)`; the CPU kernels need `@hubel/backend-cpu`.
 */
import { definePlugin } from '@hubel/core';
import { convCases } from './conv/cases.js';
import { convCpu } from './conv/cpu.js';
import { convWebGpu } from './conv/webgpu.js';
import { Conv } from './conv/definition.js';
import { locallyConnectedCases } from './locally-connected/cases.js';
import { locallyConnectedCpu } from './locally-connected/cpu.js';
import { locallyConnectedWebGpu } from './locally-connected/webgpu.js';
import { LocallyConnected } from './locally-connected/definition.js';
import { gaussianRbfCases } from './gaussian-rbf/cases.js';
import { gaussianRbfCpu } from './gaussian-rbf/cpu.js';
import { gaussianRbfWebGpu } from './gaussian-rbf/webgpu.js';
import { GaussianRbf } from './gaussian-rbf/definition.js';
import { padCases } from './pad/cases.js';
import { padCpu } from './pad/cpu.js';
import { padWebGpu } from './pad/webgpu.js';
import { Pad } from './pad/definition.js';

export { Conv } from './conv/definition.js';
export { Pad, fullPads } from './pad/definition.js';
export { LocallyConnected } from './locally-connected/definition.js';
export { GaussianRbf } from './gaussian-rbf/definition.js';
export { resolveWindow, type AutoPad, type ResolvedWindow, type WindowAttrs } from './conv/geometry.js';
export {
  gaborValue,
  gaborKernel,
  gaborSigma,
  gaborBank,
  gaborInit,
  kernelSize,
  defaultGaborWavelengths,
  MIN_GABOR_WAVELENGTH,
  type GaborParams,
  type GaborBank,
  type GaborBankOptions,
} from './gabor/gabor.js';

/** The plugin: Conv, Pad, LocallyConnected and GaussianRbf, their CPU and WebGPU kernels and their test cases. */
export const convLayers = definePlugin({
  name: '@hubel/layers-conv',
  layers: [Conv, Pad, LocallyConnected, GaussianRbf],
  kernels: [convCpu, padCpu, locallyConnectedCpu, gaussianRbfCpu, convWebGpu, padWebGpu, locallyConnectedWebGpu, gaussianRbfWebGpu],
  cases: [...convCases, ...padCases, ...locallyConnectedCases, ...gaussianRbfCases],
});
