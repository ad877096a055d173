import { defineLayer } from '@hubel/core';
import { ceilModeAttr, dilationsAttr, onnxWindowAttrs, validateWindowAttrs, windowAttrs, windowAxes, windowOutputShape } from '../shared/window-attrs.js';

/**
 * ONNX MaxPool over any number of spatial axes (NCHW, NCDHW, …; WebGPU: up to 3): y = the
 * largest input in each window (padding never wins).
 * Backward routes each ∂C/∂y to the window's arg-max; on ties that is the FIRST maximum in
 * row-major window order (top row first, left to right), so equal inputs never share a gradient.
 */
export const MaxPool = defineLayer({
  domain: '',
  type: 'MaxPool',
  doc: 'Max pooling over kernelShape windows; gradient to the first arg-max in row-major window order',
  attrs: { ...windowAttrs, dilations: dilationsAttr, ceilMode: ceilModeAttr },
  validate: validateWindowAttrs,
  inferShapes: (a, [x]) => [windowOutputShape(x, windowAxes(a, x))],
  onnx: {
    since: 12,
    attrs: (a) => ({ ...onnxWindowAttrs(a), dilations: a.dilations ?? a.kernelShape.map(() => 1), ceil_mode: a.ceilMode ? 1 : 0 }),
  },
});
