import { attr, defineLayer } from '@hubel/core';

/** Fully connected layer y = x·Wᵀ + b on [N, in] inputs; W is [out, in] (ONNX Gemm with transB = 1). */
export const Linear = defineLayer({
  domain: '',
  type: 'Gemm',
  doc: 'Fully connected: y = x·Wᵀ + b',
  attrs: {
    outFeatures: attr.int({ min: 1, doc: 'number of output units' }),
    bias: attr.bool({ default: true }),
  },
  params: (a, [x]) => ({
    W: { shape: [a.outFeatures, x[1]], init: 'heUniform' },
    ...(a.bias ? { B: { shape: [a.outFeatures], init: 'zeros' } } : {}),
  }),
  inferShapes: (a, [x]) => {
    if (x.length !== 2) throw new Error(`expected a 2-D input [N, features], found rank ${x.length}; put a Flatten before it`);
    return [[x[0], a.outFeatures]];
  },
  onnx: { since: 13, attrs: () => ({ transB: 1 }) },
});
