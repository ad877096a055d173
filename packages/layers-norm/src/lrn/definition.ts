import { attr, defineLayer } from '@hubel/core';

/**
 * Local response normalization across channels (Krizhevsky et al. 2012; ONNX LRN) on
 * [N, C, ...spatial] inputs, with ONNX's exact formula (alpha divided by size):
 * y[n,c,…] = x[n,c,…] / (bias + alpha/size · Σ_{i=c−r}^{c+r} x[n,i,…]²)^beta, r = (size − 1)/2,
 * channels outside [0, C) left out of the sum. AlexNet: size 5, alpha 1e-4, beta 0.75, bias 2.
 */
export const LRN = defineLayer({
  domain: '',
  type: 'LRN',
  doc: 'y = x / (bias + alpha/size·Σ_window x²)^beta across channels',
  attrs: {
    size: attr.int({ min: 1, doc: 'number of channels in the window (odd)' }),
    alpha: attr.float({ min: 0, default: 1e-4 }),
    beta: attr.float({ default: 0.75 }),
    bias: attr.float({ gt: 0, default: 1 }),
  },
  validate: (a) => {
    if (a.size % 2 === 0) throw new Error(`attribute 'size': expected an odd number of channels (ONNX LRN), found ${a.size}`);
  },
  inferShapes: (_a, [x]) => {
    if (x.length < 3) throw new Error(`expected an input of rank >= 3 ([N, C, ...spatial]), found rank ${x.length}`);
    return [[...x]];
  },
  onnx: { since: 13 },
});
