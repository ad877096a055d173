// BatchNormalization on WebGPU, x viewed as [N, C, S]: per-channel statistics with the reduce
// block (μ_c = mean, σ²_c = Σ(x − μ)²/M over the M = N·S values, two passes like the CPU), then
// y = scale·r·(x − μ) + B with r = 1/√(σ² + ε) as one elementwise map with per-channel inputs;
// running_mean/running_var (when bound) = input·m + batch·(1 − m). Backward: Σdy and Σdy·x̂ by
// the reduce block; with batch statistics dx = A·dy − E − (x − μ)·G with per-channel A = scale·r,
// E = A·Σdy/M − (1 − m)/M·d(running_mean), G = A·r·Σ(dy·x̂)/M − 2(1 − m)/M·d(running_var) (the
// running terms only when bound); stored statistics dx = scale·r·dy. dscale = Σdy·x̂, dB = Σdy.
import { channelBroadcast } from '@hubel/backend-webgpu';
import { defineKernel, type Tensor } from '@hubel/core';
import { checkBatchNormForward, usesBatchStatistics } from './batch-stats.js';
import { BatchNormalization } from './definition.js';

/** Every axis but the channel axis 1. */
const statAxes = (rank: number) => Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 1);

export const batchNormWebGpu = defineKernel(BatchNormalization, 'webgpu', {
  forward({ backend, attrs, inputs: [x], params, mode, node, outputsWanted }) {
    const { blocks } = backend;
    const statsWanted = checkBatchNormForward(attrs, mode, x.shape, node, outputsWanted);
    const c = x.shape[1];
    const m = x.size / c;
    const ch = { broadcast: channelBroadcast(x.shape) };
    let mean: Tensor;
    let invStd: Tensor;
    let updates: { input_mean: Tensor; input_var: Tensor } | undefined;
    let running: [Tensor, Tensor] | undefined;
    if (usesBatchStatistics(attrs, mode)) {
      mean = blocks.reduce(x, { axes: statAxes(x.shape.length), op: 'mean' });
      const centered = blocks.map({ name: 'batchNorm.center', expr: 'a - b', inputs: [x, { t: mean, ...ch }] });
      const sq = blocks.reduce(centered, { axes: statAxes(x.shape.length), op: 'sumsq' });
      centered.dispose();
      const variance = blocks.map({ name: 'batchNorm.variance', expr: 's0 * a', inputs: [sq], scalars: [1 / m] });
      sq.dispose();
      invStd = blocks.map({ name: 'batchNorm.invStd', expr: 'inverseSqrt(a + s0)', inputs: [variance], scalars: [attrs.epsilon] });
      const blend = (stored: Tensor, batch: Tensor) =>
        blocks.map({ name: 'batchNorm.running', expr: 's0 * a + (1.0 - s0) * b', inputs: [stored, batch], scalars: [attrs.momentum] });
      // Bound outputs (statsWanted implies trainingMode) and updates are separate tensors.
      if (statsWanted) running = [blend(params.input_mean, mean), blend(params.input_var, variance)];
      if (mode === 'train') updates = { input_mean: blend(params.input_mean, mean), input_var: blend(params.input_var, variance) };
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
    // Unbound running statistics get cheap placeholders of the right shape.
    const [runMean, runVar] = running ?? [backend.alloc([c]), backend.alloc([c])];
    return { outputs: [y, runMean, runVar], saved: { mean, invStd, statsWanted }, updates };
  },

  backward({ backend: { blocks }, attrs, inputs: [x], params, saved, dOutputs: [dy, dRunMean, dRunVar], wants, mode }) {
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
      if (usesBatchStatistics(attrs, mode)) {
        const scalars = [1 / m, 1 - attrs.momentum];
        const a = blocks.map({ name: 'batchNorm.coefA', expr: 'a * b', inputs: [params.scale, saved.invStd] });
        const e = saved.statsWanted
          ? blocks.map({ name: 'batchNorm.coefERunning', expr: 's0 * (a * b - s1 * c)', inputs: [a, sumDy, dRunMean], scalars })
          : blocks.map({ name: 'batchNorm.coefE', expr: 's0 * a * b', inputs: [a, sumDy], scalars });
        const g = saved.statsWanted
          ? blocks.map({ name: 'batchNorm.coefGRunning', expr: 's0 * (a * b * c - 2.0 * s1 * d)', inputs: [a, saved.invStd, sumDyXhat, dRunVar], scalars })
          : blocks.map({ name: 'batchNorm.coefG', expr: 's0 * a * b * c', inputs: [a, saved.invStd, sumDyXhat], scalars });
        dx = blocks.map({
          name: 'batchNorm.backward',
          expr: 'd * b - e - (a - c) * g',
          inputs: [x, dy, mean, { t: a, ...ch }, { t: e, ...ch }, { t: g, ...ch }],
        });
        for (const t of [a, e, g]) t.dispose();
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
