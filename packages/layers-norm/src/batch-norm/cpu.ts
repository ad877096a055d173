// BatchNormalization on the CPU, x viewed as [N, C, S] (S = product of spatial dims, 1 for [N, C]):
// x̂ = (x − μ_c)·r_c with r_c = 1/√(σ²_c + ε), y = scale_c·x̂ + B_c. Batch statistics (a 'train'
// run or trainingMode): μ_c, σ²_c over the M = N·S values of channel c (two passes, float64
// sums), running_mean = input_mean·m + μ·(1 − m), running_var = input_var·m + σ²·(1 − m), and
// backward through them: dx = scale·r/M·(M·dy − Σdy − x̂·Σ(dy·x̂)) + (1 − m)/M·d(running_mean)
// + 2(1 − m)/M·(x − μ)·d(running_var) (∂μ/∂x = 1/M, ∂σ²/∂x = 2(x − μ)/M); stored statistics:
// dx = scale·r·dy. dscale = Σ dy·x̂, dB = Σ dy. The per-channel loops are the backend's blocks
// (channelMoments, channelAffine, channelGradSums, channelAffineGrad), shared with its
// WebAssembly kernels; this kernel computes the per-channel coefficients.
import type { CpuBackend } from '@hubel/backend-cpu';
import { defineKernel, type Tensor } from '@hubel/core';
import { checkBatchNormForward, usesBatchStatistics } from './batch-stats.js';
import { BatchNormalization } from './definition.js';

/** Per-channel statistics a training forward pass computes; backward reuses them. */
interface ChannelStats {
  readonly mean: Float64Array;
  /** 1/√(σ² + ε). */
  readonly invStd: Float64Array;
}

export const batchNormCpu = defineKernel(BatchNormalization, 'cpu', {
  forward({ backend, attrs, inputs: [x], params, mode, node, outputsWanted }) {
    const statsWanted = checkBatchNormForward(attrs, mode, x.shape, node, outputsWanted);
    const c = x.shape[1];
    let stats: ChannelStats;
    let updates: { input_mean: Tensor; input_var: Tensor } | undefined;
    let running: [Tensor, Tensor] | undefined;
    if (usesBatchStatistics(attrs, mode)) {
      const { mean, variance } = backend.blocks.channelMoments(x);
      const invStd = new Float64Array(c);
      for (let ch = 0; ch < c; ch++) invStd[ch] = 1 / Math.sqrt(variance[ch] + attrs.epsilon);
      stats = { mean, invStd };
      const blendBoth = (): [Tensor, Tensor] => [
        blend(backend, params.input_mean, mean, attrs.momentum),
        blend(backend, params.input_var, variance, attrs.momentum),
      ];
      // Bound outputs (statsWanted implies trainingMode, so they are set here) and updates are
      // separate tensors: the executor owns each once.
      if (statsWanted) running = blendBoth();
      if (mode === 'train') {
        const [input_mean, input_var] = blendBoth();
        updates = { input_mean, input_var };
      }
    } else {
      const mean = Float64Array.from(backend.data(params.input_mean));
      const runVar = backend.data(params.input_var);
      const invStd = new Float64Array(c);
      for (let ch = 0; ch < c; ch++) invStd[ch] = 1 / Math.sqrt(runVar[ch] + attrs.epsilon);
      stats = { mean, invStd };
    }
    // y = a_c·(x − μ_c) + B_c with a_c = scale_c·r_c.
    const scale = backend.data(params.scale);
    const a = Float64Array.from(stats.invStd, (r, ch) => scale[ch] * r);
    const y = backend.blocks.channelAffine(x, stats.mean, a, backend.data(params.B));
    // Unbound running statistics get cheap placeholders of the right shape.
    const [runMean, runVar] = running ?? [backend.alloc([c]), backend.alloc([c])];
    return { outputs: [y, runMean, runVar], saved: { stats, statsWanted }, updates };
  },

  backward({ backend, attrs, inputs: [x], params, saved, dOutputs: [dy, dRunMean, dRunVar], wants, mode }) {
    const [n, c] = x.shape;
    const m = n * (x.size / (n * c));
    const { mean, invStd } = saved.stats as ChannelStats;
    const scale = backend.data(params.scale);
    // Σ dy and Σ dy·x̂ per channel: the parameter gradients, and the batch-statistics terms of dx.
    const sums = backend.blocks.channelGradSums(x, dy, mean);
    const sumDy = sums.sumDy;
    const sumDyXhat = sums.sumDyCentered.map((v, ch) => v * invStd[ch]);
    let dx: Tensor | undefined;
    if (wants.inputs[0]) {
      const g = Float64Array.from(invStd, (r, ch) => scale[ch] * r);
      if (usesBatchStatistics(attrs, mode)) {
        // dx = scale·r·(dy − mean(dy) − x̂·mean(dy·x̂)): the last two terms come through μ_B and
        // σ²_B, as do k0 + k1·(x − μ) from the running-statistics outputs (zero when unbound):
        // dx = g·dy + (k1 − g·r·mean(dy·x̂))·(x − μ) + (k0 − g·mean(dy)).
        const runScale = (1 - attrs.momentum) / m;
        const dMean = saved.statsWanted ? backend.data(dRunMean) : undefined;
        const dVar = saved.statsWanted ? backend.data(dRunVar) : undefined;
        const b = new Float64Array(c), d = new Float64Array(c);
        for (let ch = 0; ch < c; ch++) {
          const k0 = dMean ? runScale * dMean[ch] : 0;
          const k1 = dVar ? 2 * runScale * dVar[ch] : 0;
          b[ch] = k1 - g[ch] * invStd[ch] * (sumDyXhat[ch] / m);
          d[ch] = k0 - g[ch] * (sumDy[ch] / m);
        }
        dx = backend.blocks.channelAffineGrad(x, dy, mean, g, b, d);
      } else {
        // Stored statistics: dx = scale·r·dy.
        dx = backend.blocks.channelAffine(dy, new Float64Array(c), g, new Float64Array(c));
      }
    }
    const dParams = wants.params ? { scale: backend.tensor(sumDyXhat, [c]), B: backend.tensor(sumDy, [c]) } : {};
    return { dInputs: [dx], dParams };
  },
});

/** A fresh [C] tensor holding running·momentum + batch·(1 − momentum) (ONNX's running-statistics update). */
function blend(backend: CpuBackend, running: Tensor, batch: Float64Array, momentum: number): Tensor {
  const out = backend.alloc(running.shape);
  const o = backend.data(out);
  const r = backend.data(running);
  for (let i = 0; i < o.length; i++) o[i] = r[i] * momentum + batch[i] * (1 - momentum);
  return out;
}
