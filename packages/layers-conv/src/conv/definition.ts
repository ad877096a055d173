import { attr, defineLayer } from '@hubel/core';
import { checkWindowAttrs, resolveWindow } from './geometry.js';

const AUTO_PAD = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;

/**
 * Convolution (ONNX Conv), 1-D on [N, C, L] or 2-D on [N, C, H, W], picked by the length of
 * `kernelShape`. W is [outChannels, C / group, ...kernelShape], B is [outChannels].
 * y[n, o, p] = B[o] + Σ_{c in o's group, taps t} W[o, c, t] · x[n, c, p·stride − padBegin + t·dilation].
 */
export const Conv = defineLayer({
  domain: '',
  type: 'Conv',
  doc: 'Convolution (cross-correlation, as ONNX) with strides, pads, dilations and groups',
  inputs: ['X'],
  attrs: {
    outChannels: attr.int({ min: 1, doc: 'output channels (ONNX reads it from W)' }),
    kernelShape: attr.ints({ minLength: 1, maxLength: 2, min: 1, doc: '[kW] or [kH, kW]' }),
    strides: attr.ints({ optional: true, doc: 'default 1 per axis' }),
    pads: attr.ints({ optional: true, doc: 'ONNX order: all begins, then all ends; default 0' }),
    dilations: attr.ints({ optional: true, doc: 'default 1 per axis' }),
    group: attr.int({ min: 1, default: 1 }),
    autoPad: attr.string({ oneOf: AUTO_PAD, default: 'NOTSET' }),
    bias: attr.bool({ default: true, doc: 'ONNX: whether the node has a B input' }),
  },
  validate: (a) => {
    checkWindowAttrs(a);
    if (a.outChannels % a.group !== 0) throw new Error(`attribute 'group': ${a.group} groups do not divide outChannels ${a.outChannels}`);
  },
  params: (a, [x]) => ({
    W: { shape: [a.outChannels, x[1] / a.group, ...a.kernelShape], init: 'heUniform' },
    ...(a.bias ? { B: { shape: [a.outChannels], init: 'zeros' } } : {}),
  }),
  inferShapes: (a, [x]) => {
    const out = resolveWindow(a, x, x[1]).outSizes;
    if (x[1] % a.group !== 0) throw new Error(`attribute 'group': ${a.group} groups do not divide the ${x[1]} input channels`);
    return [[x[0], a.outChannels, ...out]];
  },
  onnx: {
    since: 11,
    attrs: (a) => ({
      kernel_shape: a.kernelShape,
      strides: a.strides,
      dilations: a.dilations,
      group: a.group,
      // ONNX forbids pads together with auto_pad other than NOTSET.
      ...(a.autoPad === 'NOTSET' ? { pads: a.pads } : { auto_pad: a.autoPad }),
    }),
    fromOnnx: (o, [w, b]) => ({
      outChannels: w[0],
      kernelShape: o.kernel_shape ?? w.slice(2),
      strides: o.strides,
      pads: o.pads,
      dilations: o.dilations,
      group: o.group ?? 1,
      autoPad: o.auto_pad ?? 'NOTSET',
      bias: b !== undefined,
    }),
  },
});
