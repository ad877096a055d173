import { attr, defineLayer } from '@hubel/core';

/**
 * Instance normalization (Ulyanov et al. 2016; ONNX InstanceNormalization) over
 * [N, C, ...spatial] inputs (rank ≥ 3): each sample's channel is normalized over its own
 * spatial positions, y = scale·(x − μ_nc)/√(σ²_nc + epsilon) + B, with μ_nc and the biased
 * variance σ²_nc taken over the S = ∏spatial values of sample n, channel c. scale and B are
 * per-channel parameters of shape [C]. The statistics never span the batch, so 'train' and
 * 'eval' runs compute the same thing and there is no running state.
 */
export const InstanceNormalization = defineLayer({
  domain: '',
  type: 'InstanceNormalization',
  doc: 'y = scale·(x − μ)/√(σ² + ε) + B, statistics per sample and channel over the spatial axes',
  attrs: {
    epsilon: attr.float({ gt: 0, default: 1e-5, doc: 'added to the variance before the square root' }),
  },
  params: (_a, [x]) => ({
    scale: { shape: [x[1]], init: 'ones' },
    B: { shape: [x[1]], init: 'zeros' },
  }),
  inferShapes: (_a, [x]) => {
    if (x.length < 3) throw new Error(`expected an input of rank >= 3 ([N, C, ...spatial]), found rank ${x.length}`);
    return [[...x]];
  },
  onnx: { since: 6 },
});
