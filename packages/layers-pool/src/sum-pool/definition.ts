import { defineLayer, type OnnxFunctionBody } from '@hubel/core';
import { dilationsAttr, onnxWindowAttrs, validateWindowAttrs, windowAttrs, windowAxes, windowOutputShape } from '../shared/window-attrs.js';

/**
 * Sum pooling (the lecture's "sum or max"), any number of spatial axes (WebGPU: up to 3), NCHW:
 * y = Σ of the inputs in each window (padding adds zeros). ONNX has no such op: it exports in domain ai.hubel with the function body
 * AveragePool(count_include_pad = 1) · Π kernelShape. That identity needs every window to lie
 * inside the padded extent, which is why SumPool has no ceilMode (its overhang would break it).
 */
export const SumPool = defineLayer({
  domain: 'ai.hubel',
  type: 'SumPool',
  doc: 'Sum pooling over kernelShape windows',
  attrs: { ...windowAttrs, dilations: dilationsAttr },
  validate: validateWindowAttrs,
  inferShapes: (a, [x]) => [windowOutputShape(x, windowAxes(a, x))],
  onnx: {
    since: 1,
    attrs: (a) => ({ ...onnxWindowAttrs(a), dilations: a.dilations ?? a.kernelShape.map(() => 1) }),
    functionBody: (a): OnnxFunctionBody => ({
      inputs: ['X'],
      outputs: ['Y'],
      opsets: { '': 19 },
      nodes: [
        {
          opType: 'AveragePool',
          inputs: ['X'],
          outputs: ['mean'],
          attrs: { ...defined(onnxWindowAttrs(a)), dilations: a.dilations ?? a.kernelShape.map(() => 1), count_include_pad: 1 },
        },
        { opType: 'Constant', inputs: [], outputs: ['size'], attrs: { value: { tensor: { dims: [], floats: [a.kernelShape.reduce((p, k) => p * k, 1)] } } } },
        { opType: 'Mul', inputs: ['mean', 'size'], outputs: ['Y'] },
      ],
    }),
  },
});

function defined<T>(r: Record<string, T | undefined>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Record<string, T>;
}
