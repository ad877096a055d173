// PRelu on WebGPU over x viewed as [N, C, inner] (one slope, broadcast everywhere, when shared):
// y = x (x ≥ 0) or a_c·x; dx = dy·(x > 0 ? 1 : a_c); da_c = Σ_{n, i; x < 0} dy·x, an
// elementwise product followed by the reduce block over every axis but C.
import { channelBroadcast, type Broadcast } from '@hubel/backend-webgpu';
import { defineKernel, type Shape } from '@hubel/core';
import { PRelu } from './definition.js';

function slopeBroadcast(shape: Shape, shared: boolean): Broadcast {
  return shared ? { div: 1, mod: 1 } : channelBroadcast(shape);
}

export const preluWebGpu = defineKernel(PRelu, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params: { slope } }) {
    const a = { t: slope, broadcast: slopeBroadcast(x.shape, attrs.channelShared) };
    return { outputs: [blocks.map({ name: 'prelu', expr: 'select(b * a, a, a >= 0.0)', inputs: [x, a] })] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], params: { slope }, dOutputs: [dy], wants }) {
    const a = { t: slope, broadcast: slopeBroadcast(x.shape, attrs.channelShared) };
    const dx = wants.inputs[0] ? blocks.map({ name: 'prelu.backward', expr: 'select(b * c, c, a > 0.0)', inputs: [x, a, dy] }) : undefined;
    let dSlope;
    if (wants.params) {
      const terms = blocks.map({ name: 'prelu.dslope', expr: 'select(0.0, a * b, a < 0.0)', inputs: [x, dy] });
      const axes = attrs.channelShared ? x.shape.map((_, i) => i) : x.shape.map((_, i) => i).filter((i) => i !== 1);
      dSlope = blocks.reduce(terms, { axes, outShape: slope.shape });
      terms.dispose();
    }
    return { dInputs: [dx], dParams: { slope: dSlope } };
  },
});
