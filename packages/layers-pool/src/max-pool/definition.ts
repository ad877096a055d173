import { attr, defineLayer } from '@hubel/core';
import { ceilModeAttr, dilationsAttr, onnxWindowAttrs, validateWindowAttrs, windowAttrs, windowAxes, windowOutputShape } from '../shared/window-attrs.js';

/**
 * ONNX MaxPool over any number of spatial axes (NCHW, NCDHW, …; WebGPU: up to 3): y = the
 * largest input in each window (padding never wins).
 * Backward routes each ∂C/∂y to the window's arg-max; on ties that is the FIRST maximum in
 * row-major window order (top row first, left to right), so equal inputs never share a gradient.
 *
 * The optional second output `Indices` (int32; ONNX's is int64) holds, for each output, the flat
 * index of that arg-max in x, batch and channel included: n·C·S + c·S + the position within the
 * S-element spatial map, read row-major (storageOrder 0, last axis fastest) or column-major
 * (storageOrder 1, first spatial axis fastest). It carries no gradient.
 */
export const MaxPool = defineLayer({
  domain: '',
  type: 'MaxPool',
  doc: 'Max pooling over kernelShape windows; gradient to the first arg-max in row-major window order',
  attrs: {
    ...windowAttrs,
    dilations: dilationsAttr,
    ceilMode: ceilModeAttr,
    storageOrder: attr.int({ min: 0, max: 1, default: 0, doc: 'Indices output: 0 row-major, 1 column-major spatial position' }),
  },
  outputs: ['Y', 'Indices'],
  optionalOutputs: 1,
  outputDTypes: { 1: 'int32' },
  validate: validateWindowAttrs,
  inferShapes: (a, [x]) => {
    const y = windowOutputShape(x, windowAxes(a, x));
    return [y, y];
  },
  onnx: {
    since: 12,
    attrs: (a) => ({
      ...onnxWindowAttrs(a),
      dilations: a.dilations ?? a.kernelShape.map(() => 1),
      ceil_mode: a.ceilMode ? 1 : 0,
      storage_order: a.storageOrder === 0 ? undefined : a.storageOrder,
    }),
  },
});
