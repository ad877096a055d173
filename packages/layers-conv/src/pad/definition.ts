import { attr, defineLayer } from '@hubel/core';

/**
 * Padding (ONNX Pad) of any-rank input: `pads` = [begin per axis…, end per axis…] (ONNX order,
 * ≥ 0), filled with `value` (constant), mirrored without repeating the border (reflect, each
 * pad ≤ size − 1) or with the border value repeated (edge).
 */
export const Pad = defineLayer({
  domain: '',
  type: 'Pad',
  doc: 'Pads with a constant, a mirror image (reflect) or the border value (edge)',
  attrs: {
    pads: attr.ints({ min: 0, doc: 'ONNX order: all begins, then all ends' }),
    mode: attr.string({ oneOf: ['constant', 'reflect', 'edge'] as const, default: 'constant' }),
    value: attr.float({ default: 0, doc: 'fill value for constant mode' }),
  },
  inferShapes: (a, [x]) => {
    const r = x.length;
    if (a.pads.length !== 2 * r) throw new Error(`attribute 'pads': expected ${2 * r} values (begin and end for each of ${r} axes), found ${a.pads.length}`);
    if (a.mode === 'reflect') {
      x.forEach((d, i) => {
        if (a.pads[i] > d - 1 || a.pads[i + r] > d - 1) throw new Error(`attribute 'pads': reflect padding by ${a.pads[i]}/${a.pads[i + r]} along axis ${i} needs pads ≤ size − 1 = ${d - 1}`);
      });
    }
    return [x.map((d, i) => d + a.pads[i] + a.pads[i + r])];
  },
  // From opset 11 ONNX takes `pads` (int64 [2·rank]) and `constant_value` (scalar) as inputs.
  onnx: {
    since: 11,
    attrs: (a) => ({ mode: a.mode }),
    inputsFromAttrs: [
      { index: 1, attr: 'pads', dtype: 'int64', sinceOpset: 11 },
      { index: 2, attr: 'value', dtype: 'float', scalar: true, sinceOpset: 11 },
    ],
  },
});
