import { INIT_NAMES, attr, defineLayer, type InitSpec } from '@hubel/core';
import { gaborBank, gaborInit } from '../gabor/gabor.js';
import { checkWindowAttrs, resolveWindow } from './geometry.js';

const AUTO_PAD = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
const W_INITS = [...INIT_NAMES, 'gabor'] as const;

/**
 * Convolution (ONNX Conv), 1-D on [N, C, L] or 2-D on [N, C, H, W], picked by the length of
 * `kernelShape`. W is [outChannels, C / group, ...kernelShape], B is [outChannels].
 * y[n, o, p] = B[o] + Σ_{c in o's group, taps t} W[o, c, t] · x[n, c, p·stride − padBegin + t·dilation].
 * `init` picks W's initializer, `'gabor'` a Gabor bank (see `gaborBank`); to keep W fixed
 * during training, freeze it with the builder's node option `frozen`.
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
    // Hubel only (not written to ONNX): how W starts out.
    init: attr.string({ oneOf: W_INITS, default: 'heUniform', doc: "W's initializer; 'gabor': a Gabor bank (gabor* attributes), one filter per output channel" }),
    gaborOrientations: attr.int({ min: 1, default: 8, doc: "init 'gabor': orientations k·π/n" }),
    gaborScales: attr.int({ min: 1, default: 4, doc: "init 'gabor': scales, when gaborWavelengths is not given" }),
    gaborWavelengths: attr.floats({ optional: true, min: 2, minLength: 1, doc: "init 'gabor': wavelengths in pixels; default geometric from 3 to max(4, size/2.5)" }),
    gaborPhases: attr.floats({ default: [0], minLength: 1, doc: "init 'gabor': phases in radians" }),
    gaborGamma: attr.float({ gt: 0, default: 0.5, doc: "init 'gabor': aspect ratio γ" }),
    gaborBandwidth: attr.float({ gt: 0, default: 1, doc: "init 'gabor': bandwidth in octaves, sets σ" }),
    gaborOrder: attr.string({ oneOf: ['scale', 'orientation'] as const, default: 'scale', doc: "init 'gabor': filter order, 'orientation' keeps one orientation's scales and phases adjacent (see gaborBank)" }),
  },
  validate: (a) => {
    checkWindowAttrs(a);
    if (a.outChannels % a.group !== 0) throw new Error(`attribute 'group': ${a.group} groups do not divide outChannels ${a.outChannels}`);
    if (a.init === 'gabor') {
      if (a.kernelShape.length !== 2) throw new Error(`attribute 'init': 'gabor' needs a 2-D kernel, found kernelShape [${a.kernelShape.join(', ')}]`);
      const count = a.gaborOrientations * (a.gaborWavelengths?.length ?? a.gaborScales) * a.gaborPhases.length;
      if (count !== a.outChannels) {
        throw new Error(`attribute 'init': a Gabor bank of ${a.gaborOrientations} orientations × ${a.gaborWavelengths?.length ?? a.gaborScales} scales × ${a.gaborPhases.length} phases has ${count} filters, but outChannels is ${a.outChannels}`);
      }
      gaborBank({ ...gaborOptions(a), size: a.kernelShape }); // throws now, naming the node, rather than at build
    }
  },
  params: (a, [x]) => ({
    W: { shape: [a.outChannels, x[1] / a.group, ...a.kernelShape], init: weightInit(a) },
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

type GaborAttrs = {
  readonly gaborOrientations: number;
  readonly gaborScales: number;
  readonly gaborWavelengths: readonly number[] | undefined;
  readonly gaborPhases: readonly number[];
  readonly gaborGamma: number;
  readonly gaborBandwidth: number;
  readonly gaborOrder: 'scale' | 'orientation';
};

function gaborOptions(a: GaborAttrs) {
  return { orientations: a.gaborOrientations, scales: a.gaborScales, wavelengths: a.gaborWavelengths, phases: a.gaborPhases, gamma: a.gaborGamma, bandwidth: a.gaborBandwidth, order: a.gaborOrder };
}

function weightInit(a: GaborAttrs & { readonly init: (typeof W_INITS)[number] }): InitSpec {
  return a.init === 'gabor' ? gaborInit(gaborOptions(a)) : a.init;
}
