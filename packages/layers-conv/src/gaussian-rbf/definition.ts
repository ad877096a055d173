import { attr, defineLayer, type OnnxFunctionBody, type OnnxFunctionNode } from '@hubel/core';
import { checkWindowAttrs, resolveWindow } from '../conv/geometry.js';

// GaussianRbf lives beside Conv rather than in layers-norm: it is a windowed template match
// (the same windows, im2col and GEMM as a convolution without bias, then a pointwise
// exponential), and it shares Conv's window geometry and ONNX window attributes.

/**
 * Gaussian radial basis units over windows (HMAX's S2 layer, Serre et al. 2007), on
 * x [N, C, H, W] with prototypes P [prototypes, C, kH, kW]:
 * y[n, p, h, w] = exp(−β·‖window(x[n], h, w) − P[p]‖²), each window spanning all C channels
 * and kH×kW positions (padding adds zeros, as Conv's). y is [N, prototypes, outH, outW].
 * P starts uniform in [0, 1) (non-negative, like the C1 responses it is meant to match);
 * HMAX imprints it from C1 patches and freezes it.
 *
 * ONNX has no such op: it is exported in the ai.hubel domain with a function body in standard
 * ops (‖x‖² − 2·x·P + ‖P‖² from two Convs; see `rbfBody`).
 */
export const GaussianRbf = defineLayer({
  domain: 'ai.hubel',
  type: 'GaussianRbf',
  doc: 'Gaussian radial basis units exp(−β‖window − P‖²) to learned or imprinted prototypes (HMAX S2)',
  inputs: ['X'],
  attrs: {
    prototypes: attr.int({ min: 1, doc: 'number of prototypes (output channels)' }),
    kernelShape: attr.ints({ length: 2, min: 1, doc: 'prototype size [kH, kW] in input positions' }),
    strides: attr.ints({ optional: true, doc: 'default [1, 1]' }),
    pads: attr.ints({ optional: true, doc: 'ONNX order: top, left, bottom, right; default 0' }),
    beta: attr.float({ gt: 0, default: 1, doc: 'sharpness β of the Gaussian' }),
  },
  validate: (a) => checkWindowAttrs(a),
  params: (a, [x]) => ({ P: { shape: [a.prototypes, x[1], ...a.kernelShape], init: { kind: 'uniform', low: 0, high: 1 } } }),
  inferShapes: (a, [x]) => [[x[0], a.prototypes, ...resolveWindow(a, x, x[1]).outSizes]],
  onnx: {
    since: 1,
    attrs: (a) => ({ prototypes: a.prototypes, kernel_shape: a.kernelShape, strides: a.strides ?? [1, 1], pads: a.pads ?? [0, 0, 0, 0], beta: a.beta }),
    functionBody: (a) => rbfBody(a),
  },
});

/**
 * GaussianRbf in ONNX-13 ops: D = Conv(X², ones) − 2·Conv(X, P) + ΣP² per prototype, clamped at
 * 0 (the expansion can dip below 0 by round-off where a window equals a prototype), Y = e^(−β·D).
 * ones is [1, C, kH, kW], built from Shape(P) since C is not an attribute.
 */
function rbfBody(a: { kernelShape: readonly number[]; strides?: readonly number[]; pads?: readonly number[]; beta: number }): OnnxFunctionBody {
  const ints = (name: string, v: readonly number[]): OnnxFunctionNode => ({ opType: 'Constant', inputs: [], outputs: [name], attrs: { value: { tensor: { dims: [v.length], int64s: v } } } });
  const scalar = (name: string, v: number): OnnxFunctionNode => ({ opType: 'Constant', inputs: [], outputs: [name], attrs: { value: { tensor: { dims: [], floats: [v] } } } });
  const window = { kernel_shape: a.kernelShape, strides: a.strides ?? [1, 1], pads: a.pads ?? [0, 0, 0, 0] };
  const nodes: OnnxFunctionNode[] = [
    { opType: 'Conv', inputs: ['X', 'P'], outputs: ['xp'], attrs: window },
    { opType: 'Mul', inputs: ['X', 'X'], outputs: ['x2'] },
    ints('one', [1]),
    ints('four', [4]),
    { opType: 'Shape', inputs: ['P'], outputs: ['pShape'] },
    { opType: 'Slice', inputs: ['pShape', 'one', 'four'], outputs: ['ckk'] },
    { opType: 'Concat', inputs: ['one', 'ckk'], outputs: ['onesShape'], attrs: { axis: 0 } },
    { opType: 'ConstantOfShape', inputs: ['onesShape'], outputs: ['ones'], attrs: { value: { tensor: { dims: [1], floats: [1] } } } },
    { opType: 'Conv', inputs: ['x2', 'ones'], outputs: ['xx'], attrs: window },
    { opType: 'Mul', inputs: ['P', 'P'], outputs: ['p2'] },
    ints('pAxes', [1, 2, 3]),
    { opType: 'ReduceSum', inputs: ['p2', 'pAxes'], outputs: ['pp'], attrs: { keepdims: 1 } },
    ints('ppShape', [1, -1, 1, 1]),
    { opType: 'Reshape', inputs: ['pp', 'ppShape'], outputs: ['ppRow'] },
    scalar('two', 2),
    { opType: 'Mul', inputs: ['xp', 'two'], outputs: ['xp2'] },
    { opType: 'Sub', inputs: ['xx', 'xp2'], outputs: ['partial'] },
    { opType: 'Add', inputs: ['partial', 'ppRow'], outputs: ['dRaw'] },
    { opType: 'Relu', inputs: ['dRaw'], outputs: ['d'] },
    scalar('minusBeta', -a.beta),
    { opType: 'Mul', inputs: ['d', 'minusBeta'], outputs: ['e'] },
    { opType: 'Exp', inputs: ['e'], outputs: ['Y'] },
  ];
  return { inputs: ['X', 'P'], outputs: ['Y'], nodes, opsets: { '': 13 } };
}
