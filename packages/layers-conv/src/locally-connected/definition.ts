import { attr, defineLayer, sizeOf, type OnnxFunctionBody, type OnnxFunctionNode } from '@hubel/core';
import { checkWindowAttrs, resolveWindow } from '../conv/geometry.js';

/**
 * Locally connected layer, 1-D ([N, C, L]) or 2-D ([N, C, H, W]): a convolution without weight
 * tying, each output position p having its own filter bank.
 * W is [P, outChannels, C·∏kernelShape] with P = ∏ output sizes (positions in row-major order;
 * the last axis is (c, kernel row, kernel column), im2col's order); B is [P, outChannels].
 * y[n, o, p] = B[p, o] + Σ_k W[p, o, k] · window_p(x[n])[k].
 *
 * ONNX has no such op: it is exported in the ai.hubel domain with a function body in standard
 * ops (see `unfoldThenMatMul`), so other engines can run it.
 */
export const LocallyConnected = defineLayer({
  domain: 'ai.hubel',
  type: 'LocallyConnected',
  doc: 'Convolution-like windows with a separate filter per output position (no weight sharing)',
  attrs: {
    outChannels: attr.int({ min: 1 }),
    kernelShape: attr.ints({ minLength: 1, maxLength: 2, min: 1, doc: '[kW] or [kH, kW]' }),
    strides: attr.ints({ optional: true, doc: 'default 1 per axis' }),
    pads: attr.ints({ optional: true, doc: 'ONNX order: all begins, then all ends; default 0' }),
    dilations: attr.ints({ optional: true, doc: 'default 1 per axis' }),
    bias: attr.bool({ default: true }),
  },
  validate: (a) => checkWindowAttrs(a),
  params: (a, [x]) => {
    const positions = sizeOf(resolveWindow(a, x, x[1]).outSizes);
    const taps = x[1] * sizeOf(a.kernelShape);
    // He uniform over the true fan-in (the taps of one filter), not the default fan rule for this shape.
    const limit = Math.sqrt(6 / taps);
    return {
      W: { shape: [positions, a.outChannels, taps], init: { kind: 'uniform', low: -limit, high: limit } },
      ...(a.bias ? { B: { shape: [positions, a.outChannels], init: 'zeros' } } : {}),
    };
  },
  inferShapes: (a, [x]) => [[x[0], a.outChannels, ...resolveWindow(a, x, x[1]).outSizes]],
  onnx: { since: 1, functionBody: (a) => unfoldThenMatMul(a) },
});

/**
 * LocallyConnected in ONNX-13 ops. The unfold (im2col) is a Conv whose constant weight is
 * one-hot per (channel, tap): eye(C) ⊗ eye(kH·kW) reshaped to [C·kH·kW, C, kH, kW], built from
 * Shape(X) with EyeLike because C is not an attribute. Then cols [N, K, P] → [P, N, K], a MatMul
 * batched over positions with W as [P, K, Cout], + B as [P, 1, Cout], → [N, Cout, P] → output sizes.
 */
function unfoldThenMatMul(a: { kernelShape: readonly number[]; strides?: readonly number[]; pads?: readonly number[]; dilations?: readonly number[]; outChannels: number; bias: boolean }): OnnxFunctionBody {
  const r = a.kernelShape.length;
  const taps = sizeOf(a.kernelShape);
  const ints = (name: string, v: readonly number[]): OnnxFunctionNode => ({ opType: 'Constant', inputs: [], outputs: [name], attrs: { value: { tensor: { dims: [v.length], int64s: v } } } });
  const eyeTaps = Array.from({ length: taps * taps }, (_, i) => (Math.floor(i / taps) === i % taps ? 1 : 0));
  const convAttrs = {
    kernel_shape: a.kernelShape,
    strides: a.strides ?? a.kernelShape.map(() => 1),
    pads: a.pads ?? Array<number>(2 * r).fill(0),
    dilations: a.dilations ?? a.kernelShape.map(() => 1),
  };
  const nodes: OnnxFunctionNode[] = [
    ints('one', [1]),
    ints('two', [2]),
    ints('spatialEnd', [2 + r]),
    { opType: 'Shape', inputs: ['X'], outputs: ['xShape'] },
    { opType: 'Slice', inputs: ['xShape', 'one', 'two'], outputs: ['c'] },
    { opType: 'Concat', inputs: ['c', 'c'], outputs: ['cc'], attrs: { axis: 0 } },
    { opType: 'ConstantOfShape', inputs: ['cc'], outputs: ['zerosCC'], attrs: { value: { tensor: { dims: [1], floats: [0] } } } },
    { opType: 'EyeLike', inputs: ['zerosCC'], outputs: ['eyeC'] },
    // eye(C) as [C, 1, C, 1(, 1)] times eye(taps) as [1, taps, 1, ...kernelShape]: [C, taps, C, ...kernelShape].
    ints('eyeCAxes', r === 1 ? [1, 3] : [1, 3, 4]),
    { opType: 'Unsqueeze', inputs: ['eyeC', 'eyeCAxes'], outputs: ['eyeC5'] },
    { opType: 'Constant', inputs: [], outputs: ['eyeTaps'], attrs: { value: { tensor: { dims: [1, taps, 1, ...a.kernelShape], floats: eyeTaps } } } },
    { opType: 'Mul', inputs: ['eyeC5', 'eyeTaps'], outputs: ['oneHot'] },
    ints('minusOne', [-1]),
    ints('kernel', a.kernelShape),
    { opType: 'Concat', inputs: ['minusOne', 'c', 'kernel'], outputs: ['unfoldShape'], attrs: { axis: 0 } },
    { opType: 'Reshape', inputs: ['oneHot', 'unfoldShape'], outputs: ['unfoldW'] },
    { opType: 'Conv', inputs: ['X', 'unfoldW'], outputs: ['cols'], attrs: convAttrs },
    ints('nkp', [0, 0, -1]),
    { opType: 'Reshape', inputs: ['cols', 'nkp'], outputs: ['colsNKP'] },
    { opType: 'Transpose', inputs: ['colsNKP'], outputs: ['colsPNK'], attrs: { perm: [2, 0, 1] } },
    { opType: 'Transpose', inputs: ['W'], outputs: ['wPKO'], attrs: { perm: [0, 2, 1] } },
    { opType: 'MatMul', inputs: ['colsPNK', 'wPKO'], outputs: ['yPNO'] },
  ];
  let y = 'yPNO';
  if (a.bias) {
    nodes.push(ints('biasAxis', [1]), { opType: 'Unsqueeze', inputs: ['B', 'biasAxis'], outputs: ['bP1O'] }, { opType: 'Add', inputs: ['yPNO', 'bP1O'], outputs: ['yBiased'] });
    y = 'yBiased';
  }
  nodes.push(
    { opType: 'Transpose', inputs: [y], outputs: ['yNOP'], attrs: { perm: [1, 2, 0] } },
    { opType: 'Shape', inputs: ['cols'], outputs: ['colsShape'] },
    { opType: 'Slice', inputs: ['colsShape', 'two', 'spatialEnd'], outputs: ['outSizes'] },
    ints('nAndChannels', [0, a.outChannels]),
    { opType: 'Concat', inputs: ['nAndChannels', 'outSizes'], outputs: ['yShape'], attrs: { axis: 0 } },
    { opType: 'Reshape', inputs: ['yNOP', 'yShape'], outputs: ['Y'] },
  );
  return { inputs: a.bias ? ['X', 'W', 'B'] : ['X', 'W'], outputs: ['Y'], nodes, opsets: { '': 13 } };
}
