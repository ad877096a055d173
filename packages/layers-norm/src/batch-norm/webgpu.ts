// BatchNormalization on WebGPU, x viewed as [N, C, S]: per-channel statistics with the reduce
// block (μ_c = mean, σ²_c = Σ(x − μ)²/M over the M = N·S values, two passes like the CPU), then
// y = scale·r·(x − μ) + B with r = 1/√(σ² + ε) as one elementwise map with per-channel inputs.
// Backward: Σdy and Σdy·x̂ by the reduce block; train dx = a·(dy − b − (x − μ)·c) with per-channel
// a = scale·r, b = Σdy/M, c = r·Σ(dy·x̂)/M; eval dx = scale·r·dy. dscale = Σdy·x̂, dB = Σdy.
import { channelBroadcast } from '@hubel/backend-webgpu';
import { HubelError, defineKernel, fmtShape, type Tensor } from '@hubel/core';
import { BatchNormalization } from './definition.js';

/** Every axis but the channel axis 1. */
const statAxes = (rank: number) => Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 1);

export const batchNormWebGpu = defineKernel(BatchNormalization, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x], params, mode, node }) {
    const c = x.shape[1];
    const m = x.size / c;
    const ch = { broadcast: channelBroadcast(x.shape) };
    let mean: Tensor;
    let invStd: Tensor;
    let updates: { input_mean: Tensor; input_var: Tensor } | undefined;
    if (mode === 'train') {
      if (m < 2) {
        throw new HubelError(
          'shape',
          `node '${node}' (BatchNormalization): training mode needs at least 2 values per channel to compute a batch variance, found input shape ${fmtShape(x.shape)} (1 value per channel); use a batch of 2 or more, or eval mode`,
        );
      }
      mean = blocks.reduce(x, { axes: statAxes(x.shape.length), op: 'mean' });
      const centered = blocks.map({ name: 'batchNorm.center', expr: 'a - b', inputs: [x, { t: mean, ...ch }] });
      const sq = blocks.reduce(centered, { axes: statAxes(x.shape.length), op: 'sumsq' });
      centered.dispose();
      const variance = blocks.map({ name: 'batchNorm.variance', expr: 's0 * a', inputs: [sq], scalars: [1 / m] });
      sq.dispose();
      invStd = blocks.map({ name: 'batchNorm.invStd', expr: 'inverseSqrt(a + s0)', inputs: [variance], scalars: [attrs.epsilon] });
      const blend = (running: Tensor, batch: Tensor) =>
        blocks.map({ name: 'batchNorm.running', expr: 's0 * a + (1.0 - s0) * b', inputs: [running, batch], scalars: [attrs.momentum] });
      updates = { input_mean: blend(params.input_mean, mean), input_var: blend(params.input_var, variance) };
      variance.dispose();
    } else {
      mean = blocks.reshape(params.input_mean, [c]);
      invStd = blocks.map({ name: 'batchNorm.invStd', expr: 'inverseSqrt(a + s0)', inputs: [params.input_var], scalars: [attrs.epsilon] });
    }
    const y = blocks.map({
      name: 'batchNorm.forward',
      expr: 'd * c * (a - b) + e',
      inputs: [x, { t: mean, ...ch }, { t: invStd, ...ch }, { t: params.scale, ...ch }, { t: params.B, ...ch }],
    });
    return { outputs: [y], saved: { mean, invStd }, updates };
  },

  backward({ backend: { blocks }, inputs: [x], params, saved, dOutputs: [dy], wants, mode }) {
    const c = x.shape[1];
    const m = x.size / c;
    const ch = { broadcast: channelBroadcast(x.shape) };
    const mean = { t: saved.mean as Tensor, ...ch };
    const invStd = { t: saved.invStd as Tensor, ...ch };
    const axes = statAxes(x.shape.length);
    const sumDy = blocks.reduce(dy, { axes });
    const terms = blocks.map({ name: 'batchNorm.dyXhat', expr: 'b * (a - c) * d', inputs: [x, dy, mean, invStd] });
    const sumDyXhat = blocks.reduce(terms, { axes });
    terms.dispose();
    let dx: Tensor | undefined;
    if (wants.inputs[0]) {
      if (mode === 'train') {
        const a = blocks.map({ name: 'batchNorm.coefA', expr: 'a * b', inputs: [params.scale, saved.invStd] });
        const b = blocks.map({ name: 'batchNorm.coefB', expr: 's0 * a', inputs: [sumDy], scalars: [1 / m] });
        const cc = blocks.map({ name: 'batchNorm.coefC', expr: 's0 * a * b', inputs: [saved.invStd, sumDyXhat], scalars: [1 / m] });
        dx = blocks.map({
          name: 'batchNorm.backward',
          expr: 'd * (b - e - (a - c) * g)',
          inputs: [x, dy, mean, { t: a, ...ch }, { t: b, ...ch }, { t: cc, ...ch }],
        });
        for (const t of [a, b, cc]) t.dispose();
      } else {
        dx = blocks.map({ name: 'batchNorm.backwardEval', expr: 'a * b * c', inputs: [dy, { t: params.scale, ...ch }, invStd] });
      }
    }
    if (!wants.params) {
      sumDy.dispose();
      sumDyXhat.dispose();
      return { dInputs: [dx], dParams: {} };
    }
    return { dInputs: [dx], dParams: { scale: sumDyXhat, B: sumDy } };
  },
});
