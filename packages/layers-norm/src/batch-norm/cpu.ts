// BatchNormalization on the CPU, x viewed as [N, C, S] (S = product of spatial dims, 1 for [N, C]):
// x̂ = (x − μ_c)·r_c with r_c = 1/√(σ²_c + ε), y = scale_c·x̂ + B_c. Training: μ_c, σ²_c over the
// M = N·S values of channel c (two passes, float64 sums), and backward through them:
// dx = scale·r/M·(M·dy − Σdy − x̂·Σ(dy·x̂)); eval: dx = scale·r·dy. dscale = Σ dy·x̂, dB = Σ dy.
import type { CpuBackend } from '@hubel/backend-cpu';
import { HubelError, defineKernel, fmtShape, type Tensor } from '@hubel/core';
import { BatchNormalization } from './definition.js';

/** Per-channel statistics a training forward pass computes; backward reuses them. */
interface ChannelStats {
  readonly mean: Float64Array;
  /** 1/√(σ² + ε). */
  readonly invStd: Float64Array;
}

export const batchNormCpu = defineKernel(BatchNormalization, 'cpu', {
  forward({ backend, attrs, inputs: [x], params, mode, node }) {
    const [n, c] = x.shape;
    const s = x.size / (n * c);
    const xs = backend.data(x);
    let stats: ChannelStats;
    let updates: { input_mean: Tensor; input_var: Tensor } | undefined;
    if (mode === 'train') {
      if (n * s < 2) {
        throw new HubelError(
          'shape',
          `node '${node}' (BatchNormalization): training mode needs at least 2 values per channel to compute a batch variance, found input shape ${fmtShape(x.shape)} (1 value per channel); use a batch of 2 or more, or eval mode`,
        );
      }
      const variance = new Float64Array(c);
      const mean = channelMeanVariance(xs, n, c, s, variance);
      const invStd = new Float64Array(c);
      for (let ch = 0; ch < c; ch++) invStd[ch] = 1 / Math.sqrt(variance[ch] + attrs.epsilon);
      stats = { mean, invStd };
      updates = {
        input_mean: blend(backend, params.input_mean, mean, attrs.momentum),
        input_var: blend(backend, params.input_var, variance, attrs.momentum),
      };
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
    return { outputs: [y], saved: { stats }, updates };
  },

  backward({ backend, inputs: [x], params, saved, dOutputs: [dy], wants, mode }) {
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
      for (let i = 0; i < n; i++) {
        for (let ch = 0; ch < c; ch++) {
          const base = (i * c + ch) * s;
          const r = invStd[ch];
          const g = scale[ch] * r;
          const mu = mean[ch];
          if (mode === 'train') {
            // dx = scale·r·(dy − mean(dy) − x̂·mean(dy·x̂)): the last two terms come through μ_B and σ²_B.
            const md = sumDy[ch] / m;
            const mdx = sumDyXhat[ch] / m;
            for (let j = base; j < base + s; j++) dxs[j] = g * (dys[j] - md - (xs[j] - mu) * r * mdx);
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
