// BatchNormalization on the CPU, x viewed as [N, C, S] (S = product of spatial dims, 1 for [N, C]):
// x̂ = (x − μ_c)·r_c with r_c = 1/√(σ²_c + ε), y = scale_c·x̂ + B_c. Batch statistics (a 'train'
// run or trainingMode): μ_c, σ²_c over the M = N·S values of channel c (two passes, float64
// sums), running_mean = input_mean·m + μ·(1 − m), running_var = input_var·m + σ²·(1 − m), and
// backward through them: dx = scale·r/M·(M·dy − Σdy − x̂·Σ(dy·x̂)) + (1 − m)/M·d(running_mean)
// + 2(1 − m)/M·(x − μ)·d(running_var) (∂μ/∂x = 1/M, ∂σ²/∂x = 2(x − μ)/M); stored statistics:
// dx = scale·r·dy. dscale = Σ dy·x̂, dB = Σ dy.
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
    const [n, c] = x.shape;
    const s = x.size / (n * c);
    const xs = backend.data(x);
    let stats: ChannelStats;
    let updates: { input_mean: Tensor; input_var: Tensor } | undefined;
    let running: [Tensor, Tensor] | undefined;
    if (usesBatchStatistics(attrs, mode)) {
      const variance = new Float64Array(c);
      const mean = channelMeanVariance(xs, n, c, s, variance);
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
    const y = backend.alloc(x.shape);
    const ys = backend.data(y);
    const scale = backend.data(params.scale);
    const bias = backend.data(params.B);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * s;
        const mu = stats.mean[ch];
        const a = scale[ch] * stats.invStd[ch];
        const b = bias[ch];
        for (let j = base; j < base + s; j++) ys[j] = a * (xs[j] - mu) + b;
      }
    }
    // Unbound running statistics get cheap placeholders of the right shape.
    const [runMean, runVar] = running ?? [backend.alloc([c]), backend.alloc([c])];
    return { outputs: [y, runMean, runVar], saved: { stats, statsWanted }, updates };
  },

  backward({ backend, attrs, inputs: [x], params, saved, dOutputs: [dy, dRunMean, dRunVar], wants, mode }) {
    const [n, c] = x.shape;
    const s = x.size / (n * c);
    const m = n * s;
    const { mean, invStd } = saved.stats as ChannelStats;
    const xs = backend.data(x);
    const dys = backend.data(dy);
    const scale = backend.data(params.scale);
    // Σ dy and Σ dy·x̂ per channel: the parameter gradients, and the batch-statistics terms of dx.
    const sumDy = new Float64Array(c);
    const sumDyXhat = new Float64Array(c);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * s;
        const mu = mean[ch];
        let sd = 0;
        let sdx = 0;
        for (let j = base; j < base + s; j++) {
          sd += dys[j];
          sdx += dys[j] * (xs[j] - mu);
        }
        sumDy[ch] += sd;
        sumDyXhat[ch] += sdx * invStd[ch];
      }
    }
    let dx: Tensor | undefined;
    if (wants.inputs[0]) {
      dx = backend.alloc(x.shape);
      const dxs = backend.data(dx);
      const batch = usesBatchStatistics(attrs, mode);
      // ∂C/∂μ and ∂C/∂σ² arriving through the running-statistics outputs (zero when unbound).
      const runScale = (1 - attrs.momentum) / m;
      const dMean = saved.statsWanted ? backend.data(dRunMean) : undefined;
      const dVar = saved.statsWanted ? backend.data(dRunVar) : undefined;
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < c; ch++) {
          const base = (i * c + ch) * s;
          const r = invStd[ch];
          const g = scale[ch] * r;
          const mu = mean[ch];
          if (batch) {
            // dx = scale·r·(dy − mean(dy) − x̂·mean(dy·x̂)): the last two terms come through μ_B and
            // σ²_B, as do k0 + k1·(x − μ) from the running-statistics outputs.
            const md = sumDy[ch] / m;
            const mdx = sumDyXhat[ch] / m;
            const k0 = dMean ? runScale * dMean[ch] : 0;
            const k1 = dVar ? 2 * runScale * dVar[ch] : 0;
            for (let j = base; j < base + s; j++) dxs[j] = g * (dys[j] - md - (xs[j] - mu) * r * mdx) + k0 + k1 * (xs[j] - mu);
          } else {
            for (let j = base; j < base + s; j++) dxs[j] = g * dys[j];
          }
        }
      }
    }
    const dParams = wants.params ? { scale: backend.tensor(sumDyXhat, [c]), B: backend.tensor(sumDy, [c]) } : {};
    return { dInputs: [dx], dParams };
  },
});

/** Per-channel mean (returned) and biased variance (into `variance`) of x viewed as [n, c, s], two-pass in float64. */
function channelMeanVariance(xs: ArrayLike<number>, n: number, c: number, s: number, variance: Float64Array): Float64Array {
  const m = n * s;
  const mean = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      let acc = 0;
      for (let j = base; j < base + s; j++) acc += xs[j];
      mean[ch] += acc;
    }
  }
  for (let ch = 0; ch < c; ch++) mean[ch] /= m;
  variance.fill(0);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch];
      let acc = 0;
      for (let j = base; j < base + s; j++) {
        const d = xs[j] - mu;
        acc += d * d;
      }
      variance[ch] += acc;
    }
  }
  for (let ch = 0; ch < c; ch++) variance[ch] /= m;
  return mean;
}

/** A fresh [C] tensor holding running·momentum + batch·(1 − momentum) (ONNX's running-statistics update). */
function blend(backend: CpuBackend, running: Tensor, batch: Float64Array, momentum: number): Tensor {
  const out = backend.alloc(running.shape);
  const o = backend.data(out);
  const r = backend.data(running);
  for (let i = 0; i < o.length; i++) o[i] = r[i] * momentum + batch[i] * (1 - momentum);
  return out;
}
