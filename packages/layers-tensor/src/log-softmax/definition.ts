import { attr, defineLayer } from '@hubel/core';
import { reducedAxes } from '../reduce/definition.js';

/** `axis` as a non-negative index (the reductions' axis rules); throws a plain message when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  return reducedAxes({ axes: [axis], noopWithEmptyAxes: false }, rank)![0];
}

/**
 * y = x − max − log Σ e^{x − max} along one axis (ONNX LogSoftmax, opset-13 semantics: the
 * single axis `axis`; the importer rewrites older opsets' flattened form).
 */
export const LogSoftmax = defineLayer({
  domain: '',
  type: 'LogSoftmax',
  doc: 'y = log softmax(x) along axis',
  attrs: { axis: attr.int({ default: -1, doc: 'axis to normalize; negative counts from the end' }) },
  inputs: ['input'],
  outputs: ['output'],
  inferShapes: (a, [x]) => {
    normalizeAxis(a.axis, x.length);
    return [x];
  },
  onnx: { since: 13 },
});
