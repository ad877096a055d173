import { attr, defineLayer, sizeOf, type Shape } from '@hubel/core';
import { withIo } from '../onnx-io.js';

/** Reshape's output shape (ONNX rules: 0 copies the input's size unless allowzero, one −1 is inferred). */
export function reshapeTarget(x: Shape, target: readonly number[], allowzero: boolean): number[] {
  let infer = -1;
  const out = target.map((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw new Error(`shape [${target.join(', ')}] has more than one -1`);
      infer = i;
      return 1;
    }
    if (d === 0 && !allowzero) {
      if (i >= x.length) throw new Error(`shape [${target.join(', ')}]: 0 at axis ${i} copies an axis the rank-${x.length} input lacks`);
      return x[i];
    }
    if (!(Number.isInteger(d) && d >= 0)) throw new Error(`shape [${target.join(', ')}] has invalid size ${d}`);
    return d;
  });
  const known = sizeOf(out);
  const total = sizeOf(x);
  if (infer >= 0) {
    if (known === 0 || total % known !== 0) throw new Error(`cannot reshape [${x.join(', ')}] (${total} elements) to [${target.join(', ')}]`);
    out[infer] = total / known;
  } else if (known !== total) {
    throw new Error(`cannot reshape [${x.join(', ')}] (${total} elements) to [${target.join(', ')}] (${known} elements)`);
  }
  return out;
}

/** Same data, new shape (ONNX Reshape: `shape` may hold 0 = copy that axis, and one −1 = inferred). */
export const Reshape = defineLayer({
  domain: '',
  type: 'Reshape',
  doc: 'same elements in row-major order, new shape',
  attrs: {
    shape: attr.ints({ doc: 'target shape; 0 copies the input axis (unless allowzero), one -1 is inferred' }),
    allowzero: attr.bool({ default: false, doc: '0 in shape means a zero-size axis instead of a copy' }),
  },
  inputs: ['data'],
  outputs: ['reshaped'],
  inferShapes: (a, [x]) => [reshapeTarget(x, a.shape, a.allowzero)],
  onnx: withIo({
    since: 14,
    attrs: (a: { allowzero: boolean }) => (a.allowzero ? { allowzero: 1 } : {}),
    inputsFromAttrs: [{ index: 1, attr: 'shape', dtype: 'int64' }],
  }),
});

/** The permutation Transpose applies: `perm`, or reversed axes when absent. */
export function permutation(perm: readonly number[] | undefined, rank: number): number[] {
  const p = perm ? [...perm] : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new Error(`perm [${p.join(', ')}] is not a permutation of the ${rank} axes`);
  }
  return p;
}

/** Permutes axes: output axis i is input axis perm[i] (ONNX Transpose; default: reversed). */
export const Transpose = defineLayer({
  domain: '',
  type: 'Transpose',
  doc: 'y[..] = x with axes permuted by perm',
  attrs: { perm: attr.ints({ optional: true, doc: 'output axis i is input axis perm[i]; default reversed' }) },
  inputs: ['data'],
  outputs: ['transposed'],
  inferShapes: (a, [x]) => [permutation(a.perm, x.length).map((p) => x[p])],
  onnx: { since: 13 },
});

/**
 * Joins two tensors along `axis` (ONNX Concat with two inputs; the importer chains ONNX's
 * n-input Concat, since a Hubel layer has a fixed number of inputs).
 */
export const Concat = defineLayer({
  domain: '',
  type: 'Concat',
  doc: 'y = [A, B] along axis',
  attrs: { axis: attr.int({ doc: 'axis to join along; negative counts from the end' }) },
  inputs: ['A', 'B'],
  outputs: ['concat_result'],
  inferShapes: (a, [x, y]) => {
    const r = x.length;
    if (y.length !== r) throw new Error(`inputs have ranks ${r} and ${y.length}; Concat needs equal ranks`);
    if (a.axis < -r || a.axis >= r) throw new Error(`axis ${a.axis} is out of range for rank ${r}`);
    const ax = a.axis < 0 ? a.axis + r : a.axis;
    x.forEach((d, i) => {
      if (i !== ax && d !== y[i]) throw new Error(`inputs differ on axis ${i} (${d} vs ${y[i]}); only axis ${ax} may differ`);
    });
    return [x.map((d, i) => (i === ax ? d + y[i] : d))];
  },
  onnx: { since: 13 },
});

/**
 * A tensor with no inputs: its one parameter `value` of shape `shape`. Imported ONNX
 * initializers that feed data inputs become trainable Constants (weights of MatMul/Add
 * graphs); ONNX Constant nodes become non-trainable ones. Exported as the initializer itself
 * (trainable) or an ONNX Constant node (not trainable).
 */
export const Constant = defineLayer({
  domain: '',
  type: 'Constant',
  doc: 'y = value (a stored tensor)',
  attrs: {
    shape: attr.ints({ min: 1, default: [], doc: 'shape of the value ([] for a scalar)' }),
    trainable: attr.bool({ default: true, doc: 'whether the optimizer updates the value' }),
  },
  inputs: [],
  outputs: ['output'],
  params: (a) => ({ value: { shape: [...a.shape], init: 'zeros', trainable: a.trainable } }),
  inferShapes: (a) => [[...a.shape]],
  onnx: withIo({ since: 13, initializer: 'value' }),
});

/** The [start, end) slice of a rank-r shape that ONNX Shape returns (negative ends count from the back, clamped). */
export function shapeSlice(a: { start: number; end?: number }, r: number): [number, number] {
  const clamp = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  return [clamp(a.start), clamp(a.end ?? r)];
}

/**
 * ONNX Shape: y = the input's dimensions start…end−1 as an int32 vector (int64 in ONNX). Its
 * derivative with respect to x is 0, so backward returns zeros. An empty result (a scalar
 * input, start ≥ end) is refused: Hubel tensors have no empty dimensions.
 */
export const ShapeOf = defineLayer({
  domain: '',
  type: 'Shape',
  doc: 'y = shape(x)[start:end], int32',
  attrs: {
    start: attr.int({ default: 0, doc: 'first axis (negative counts from the back)' }),
    end: attr.int({ optional: true, doc: 'one past the last axis (default: the rank)' }),
  },
  outputs: ['shape'],
  inferShapes: (a, [x]) => {
    const [s, e] = shapeSlice(a, x.length);
    if (e <= s) throw new Error(`Shape of a rank-${x.length} input from axis ${a.start} to ${a.end ?? x.length} is empty; Hubel tensors have no empty dimensions`);
    return [[e - s]];
  },
  onnx: { since: 15 },
});
