// PRelu on WebGPU over x viewed as [N, C, inner] (one slope, broadcast everywhere, when shared):
// y = x (x ≥ 0) or a_c·x; dx = dy·(x > 0 ? 1 : a_c); da_c = Σ_{n, i; x < 0} dy·x, an
// elementwise product followed by the reduce block over every axis but C. A general `slopeShape`
// is read through a numpy broadcast (an expanded copy when no index pattern fits) and da sums
// over the axes where the slope broadcasts.
import { channelBroadcast, type Broadcast } from '@hubel/backend-webgpu';
import type { MapInput, WebGpuBlocks } from '@hubel/backend-webgpu';
import { defineKernel, type Shape, type Tensor } from '@hubel/core';
import { PRelu } from './definition.js';

function slopeBroadcast(shape: Shape, shared: boolean): Broadcast {
  return shared ? { div: 1, mod: 1 } : channelBroadcast(shape);
}

/** The slope as a map input over x; `temp` (an expanded copy) is the caller's to dispose. */
function slopeInput(blocks: WebGpuBlocks, x: Tensor, slope: Tensor, general: boolean, shared: boolean): { input: MapInput; temp?: Tensor } {
  return general ? blocks.broadcastInput(slope, x.shape) : { input: { t: slope, broadcast: slopeBroadcast(x.shape, shared) } };
}

/** Axes of x the slope gradient sums over: those where the (right-aligned) slope has size 1 or no axis. */
function slopeAxes(x: Shape, slope: Shape, general: boolean, shared: boolean): number[] {
  const all = x.map((_, i) => i);
  if (!general) return shared ? all : all.filter((i) => i !== 1);
  const off = x.length - slope.length;
  return all.filter((i) => i < off || slope[i - off] === 1);
}

export const preluWebGpu = defineKernel(PRelu, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { slope } }) {
    const { input: a, temp } = slopeInput(blocks, x, slope, !!attrs.slopeShape, attrs.channelShared);
    const y = blocks.map({ name: 'prelu', expr: 'select(b * a, a, a >= 0.0)', inputs: [x, a] });
    temp?.dispose();
    return { outputs: [y] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { slope }, dOutputs: [dy], wants }) {
    let dx;
    if (wants.inputs[0]) {
      const { input: a, temp } = slopeInput(blocks, x, slope, !!attrs.slopeShape, attrs.channelShared);
      dx = blocks.map({ name: 'prelu.backward', expr: 'select(b * c, c, a > 0.0)', inputs: [x, a, dy] });
      temp?.dispose();
    }
    let dSlope;
    if (wants.params) {
      const terms = blocks.map({ name: 'prelu.dslope', expr: 'select(0.0, a * b, a < 0.0)', inputs: [x, dy] });
      dSlope = blocks.reduce(terms, { axes: slopeAxes(x.shape, slope.shape, !!attrs.slopeShape, attrs.channelShared), outShape: slope.shape });
      terms.dispose();
    }
    return { dInputs: [dx], dParams: { slope: dSlope } };
  },
});
