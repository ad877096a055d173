import { attr, defineLayer } from '@hubel/core';
import { ceilModeAttr, dilationsAttr, onnxWindowAttrs, validateWindowAttrs, windowAttrs, windowAxes, windowOutputShape } from '../shared/window-attrs.js';

/**
 * ONNX AveragePool over any number of spatial axes (NCHW, NCDHW, …; WebGPU: up to 3):
 * y = mean of each window. With countIncludePad the divisor counts the taps inside the padded extent (image + pads; ceil-mode overhang past the end
 * padding is not counted, as in ONNX's test data), otherwise only the taps inside the image.
 */
export const AveragePool = defineLayer({
  domain: '',
  type: 'AveragePool',
  doc: 'Average pooling over kernelShape windows',
  attrs: {
    ...windowAttrs,
    dilations: dilationsAttr,
    ceilMode: ceilModeAttr,
    countIncludePad: attr.bool({ default: false, doc: 'divide by the taps in the padded extent instead of those in the image' }),
  },
  validate: validateWindowAttrs,
  inferShapes: (a, [x]) => [windowOutputShape(x, windowAxes(a, x))],
  onnx: {
    // dilations on AveragePool need opset 19.
    since: 19,
    attrs: (a) => ({
      ...onnxWindowAttrs(a),
      dilations: a.dilations ?? a.kernelShape.map(() => 1),
      ceil_mode: a.ceilMode ? 1 : 0,
      count_include_pad: a.countIncludePad ? 1 : 0,
    }),
  },
});
