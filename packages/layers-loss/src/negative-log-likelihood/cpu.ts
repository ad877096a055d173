// Negative log-likelihood on the CPU over X viewed as [N, C, inner]: per position ℓ = −x_label,
// weighted and reduced by ../class-weights. ∂C/∂x_c = −s·w·[c = label] with s = ∂C/∂(w·ℓ);
// ∂C/∂W comes from the class-weights block.
import type {} from '@hubel/backend-cpu';
import { HubelError, defineKernel, fmtShape, layerLabel, sizeOf } from '@hubel/core';
import { classWeightGrad, positionSeeds, positionWeights, reduceLoss } from '../class-weights/cpu.js';
import { unravel } from '../softmax-cross-entropy/cpu.js';
import { NegativeLogLikelihoodLoss } from './definition.js';

export const negativeLogLikelihoodCpu = defineKernel(NegativeLogLikelihoodLoss, 'cpu', {
  forward({ backend, attrs: { ignoreIndex, reduction }, inputs: [x, t, W], node }) {
    const classes = x.shape[1];
    const inner = sizeOf(x.shape.slice(2));
    const labels = backend.ints(t);
    const w = positionWeights(labels, classes, ignoreIndex, W && backend.data(W), (k, label) => {
      throw new HubelError(
        'shape',
        `node '${node}' (${layerLabel(NegativeLogLikelihoodLoss)}): label ${label} at T${unravel(k, t.shape)} is outside [0, ${classes}) — X ${fmtShape(x.shape)} has ${classes} classes`,
      );
    });
    const xs = backend.data(x);
    const plain = new Float64Array(labels.length);
    for (let k = 0; k < labels.length; k++) {
      if (labels[k] !== ignoreIndex) plain[k] = -xs[(Math.floor(k / inner) * classes + labels[k]) * inner + (k % inner)];
    }
    const { y, denom } = reduceLoss(backend, plain, w, reduction, t.shape);
    return { outputs: [y], saved: { plain, w, denom } };
  },
  backward({ backend, attrs: { ignoreIndex, reduction }, inputs: [x, t, W], outputs: [y], saved, dOutputs: [dC], wants }) {
    const classes = x.shape[1];
    const inner = sizeOf(x.shape.slice(2));
    const labels = backend.ints(t);
    const w: Float64Array = saved.w;
    const seeds = positionSeeds(backend, dC, reduction, saved.denom, labels.length);
    let dxT;
    if (wants.inputs[0]) {
      dxT = backend.zeros(x.shape);
      const dx = backend.data(dxT);
      for (let k = 0; k < labels.length; k++) {
        if (w[k] !== 0) dx[(Math.floor(k / inner) * classes + labels[k]) * inner + (k % inner)] = -seeds[k] * w[k];
      }
    }
    const dW = W && wants.inputs[2] ? classWeightGrad(backend, { labels, ignoreIndex, plain: saved.plain, seeds, reduction, y, classes }) : undefined;
    return { dInputs: [dxT, undefined, dW] };
  },
});
