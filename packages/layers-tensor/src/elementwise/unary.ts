import { attr, defineLayer } from '@hubel/core';
import { withIo } from '../onnx-io.js';

/** Elementwise unary ops without attributes (ONNX Exp, Log, Neg, Abs, Sqrt, Identity, Softplus). */
export type UnaryOp = 'Exp' | 'Log' | 'Neg' | 'Abs' | 'Sqrt' | 'Identity' | 'Softplus';

const DOCS: Record<UnaryOp, string> = {
  Exp: 'y = eˣ',
  Log: 'y = ln x',
  Neg: 'y = −x',
  Abs: 'y = |x|',
  Sqrt: 'y = √x',
  Identity: 'y = x',
  Softplus: 'y = ln(1 + eˣ)',
};

function defineUnary<T extends UnaryOp>(type: T, since = 13) {
  return defineLayer({
    domain: '',
    type,
    doc: DOCS[type],
    attrs: {},
    inferShapes: (_a, [x]) => [x],
    onnx: { since },
  });
}

/** y = eˣ (ONNX Exp). */
export const Exp = defineUnary('Exp');
/** y = ln x (ONNX Log); x ≤ 0 gives −∞/NaN as in ONNX. */
export const Log = defineUnary('Log');
/** y = −x (ONNX Neg). */
export const Neg = defineUnary('Neg');
/** y = |x| (ONNX Abs); the subgradient at 0 is 0. */
export const Abs = defineUnary('Abs');
/** y = √x (ONNX Sqrt). */
export const Sqrt = defineUnary('Sqrt');
/** y = x (ONNX Identity). */
export const Identity = defineUnary('Identity');
/** y = ln(1 + eˣ) (ONNX Softplus, unchanged since opset 1), computed without overflow; dx = dy·σ(x). */
export const Softplus = defineUnary('Softplus', 1);

/**
 * y = min(max(x, min), max) (ONNX Clip from opset 11: the bounds are optional scalar inputs,
 * carried here as attributes). With min > max every element becomes max, as in ONNX.
 */
export const Clip = defineLayer({
  domain: '',
  type: 'Clip',
  doc: 'y = min(max(x, min), max)',
  attrs: {
    min: attr.float({ optional: true, doc: 'lower bound (none: −∞)' }),
    max: attr.float({ optional: true, doc: 'upper bound (none: +∞)' }),
  },
  inputs: ['input'],
  outputs: ['output'],
  inferShapes: (_a, [x]) => [x],
  onnx: withIo({
    since: 13,
    attrs: () => ({}),
    inputsFromAttrs: [
      { index: 1, attr: 'min', dtype: 'float', scalar: true },
      { index: 2, attr: 'max', dtype: 'float', scalar: true },
    ],
  }),
});

export const UNARY_LAYERS = [Exp, Log, Neg, Abs, Sqrt, Identity, Softplus] as const;
