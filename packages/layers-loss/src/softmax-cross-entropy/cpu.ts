// Softmax cross-entropy on the CPU, fused, over scores viewed as [N, C, inner]. Per position,
// with m = max_c x_c and log p_c = x_c − m − log Σ_c e^{x_c − m} (stable for any logits):
// ℓ = −(1 − ε)·log p_label − (ε/C)·Σ_c log p_c, weighted and reduced by ../class-weights.
// ∂C/∂x_c = s·w·(p_c − q_c), q = (1 − ε)·onehot + ε/C, s = ∂C/∂(w·ℓ); 0 where ignored.
// ∂C/∂W comes from the class-weights block. Forward saves log p, which is also the second
// output log_prob; its gradient g adds ∂C/∂x_c += g_c − p_c·Σ_c' g_c' (log-softmax's adjoint).
import type {} from '@hubel/backend-cpu';
import { HubelError, defineKernel, fmtShape, layerLabel, sizeOf, type Shape } from '@hubel/core';
import { classWeightGrad, positionSeeds, positionWeights, reduceLoss } from '../class-weights/cpu.js';
import { SoftmaxCrossEntropy } from './definition.js';

/** `[n, d1, …]` of a flat label index, for messages. */
export function unravel(index: number, shape: Shape): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(index % shape[d]);
    index = Math.floor(index / shape[d]);
  }
  return fmtShape(at);
}

export const softmaxCrossEntropyCpu = defineKernel(SoftmaxCrossEntropy, 'cpu', {
  forward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t, W], node, outputsWanted }) {
    const classes = x.shape[1];
    const inner = sizeOf(x.shape.slice(2));
    const labels = backend.ints(t);
    // Labels are checked before anything is allocated, so a bad batch leaks nothing.
    const w = positionWeights(labels, classes, ignoreIndex, W && backend.data(W), (k, label) => {
      throw new HubelError(
        'shape',
        `node '${node}' (${layerLabel(SoftmaxCrossEntropy)}): label ${label} at T${unravel(k, t.shape)} is outside [0, ${classes}) — X ${fmtShape(x.shape)} has ${classes} classes`,
      );
    });
    const lpT = backend.blocks.logSoftmax(x, 1);
    const lp = backend.data(lpT);
    const plain = new Float64Array(labels.length);
    const stride = classes * inner;
    for (let k = 0; k < labels.length; k++) {
      if (labels[k] === ignoreIndex) continue;
      const base = Math.floor(k / inner) * stride + (k % inner);
      let all = 0; // Σ_c log p_c, for the smoothing term
      if (eps !== 0) for (let j = base, end = base + stride; j < end; j += inner) all += lp[j];
      plain[k] = -(1 - eps) * lp[base + labels[k] * inner] - (eps / classes) * all;
    }
    const { y, denom } = reduceLoss(backend, plain, w, reduction, t.shape);
    // log_prob is lp itself (saved may reference an output); backward reads its gradient only when bound.
    return { outputs: [y, lpT], saved: { lp: lpT, plain, w, denom, logProbBound: outputsWanted?.[1] !== false } };
  },
  backward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t, W], outputs: [y], saved, dOutputs: [dC, dLp], wants }) {
    const classes = x.shape[1];
    const inner = sizeOf(x.shape.slice(2));
    const labels = backend.ints(t);
    const w: Float64Array = saved.w;
    const seeds = positionSeeds(backend, dC, reduction, saved.denom, labels.length);
    let dxT;
    if (wants.inputs[0]) {
      const lp = backend.data(saved.lp);
      dxT = backend.alloc(x.shape);
      const dx = backend.data(dxT);
      const stride = classes * inner;
      const floor = eps / classes;
      for (let k = 0; k < labels.length; k++) {
        const base = Math.floor(k / inner) * stride + (k % inner);
        const end = base + stride;
        const scale = seeds[k] * w[k];
        if (scale === 0) {
          for (let j = base; j < end; j += inner) dx[j] = 0;
          continue;
        }
        for (let j = base; j < end; j += inner) dx[j] = scale * (Math.exp(lp[j]) - floor);
        dx[base + labels[k] * inner] -= scale * (1 - eps);
      }
      if (saved.logProbBound) {
        const g = backend.data(dLp);
        for (let k = 0; k < labels.length; k++) {
          const base = Math.floor(k / inner) * stride + (k % inner);
          const end = base + stride;
          let total = 0;
          for (let j = base; j < end; j += inner) total += g[j];
          for (let j = base; j < end; j += inner) dx[j] += g[j] - Math.exp(lp[j]) * total;
        }
      }
    }
    const dW = W && wants.inputs[2] ? classWeightGrad(backend, { labels, ignoreIndex, plain: saved.plain, seeds, reduction, y, classes }) : undefined;
    return { dInputs: [dxT, undefined, dW] };
  },
});
