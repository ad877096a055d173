import { attr, defineLayer, type Shape } from '@hubel/core';
import { withIo } from '../onnx-io.js';

/** The reduced axes (normalized, sorted), or null for "no reduction" (empty axes with noopWithEmptyAxes). */
export function reducedAxes(a: { axes?: readonly number[]; noopWithEmptyAxes: boolean }, rank: number): number[] | null {
  const given = a.axes ?? [];
  if (given.length === 0) return a.noopWithEmptyAxes ? null : Array.from({ length: rank }, (_, i) => i);
  const out = given.map((ax) => {
    if (ax < -rank || ax >= rank) throw new Error(`axis ${ax} is out of range for a rank-${rank} input (expected ${-rank} … ${rank - 1})`);
    return ax < 0 ? ax + rank : ax;
  });
  if (new Set(out).size !== out.length) throw new Error(`axes [${given.join(', ')}] name an axis twice`);
  return out.sort((p, q) => p - q);
}

/** The input shape with reduced axes set to 1 (the keepdims shape). */
export function keptShape(x: Shape, axes: readonly number[] | null): number[] {
  return axes ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : [...x];
}

/** The three reduction layers' ONNX op types. */
export type ReduceOp = 'ReduceSum' | 'ReduceMean' | 'ReduceMax';

const DOCS: Record<ReduceOp, string> = {
  ReduceSum: 'y = Σ x over axes',
  ReduceMean: 'y = mean of x over axes',
  ReduceMax: 'y = max of x over axes (gradient to the first maximum)',
};

/** ONNX moved `axes` from an attribute to an input at opset 13 for ReduceSum, 18 for the others. */
const AXES_INPUT_SINCE: Record<ReduceOp, number> = { ReduceSum: 13, ReduceMean: 18, ReduceMax: 18 };

function defineReduce<T extends ReduceOp>(type: T) {
  return defineLayer({
    domain: '',
    type,
    doc: DOCS[type],
    attrs: {
      axes: attr.ints({ optional: true, doc: 'axes to reduce; none or empty: all (unless noopWithEmptyAxes)' }),
      keepdims: attr.bool({ default: true, doc: 'keep reduced axes with size 1' }),
      noopWithEmptyAxes: attr.bool({ default: false, doc: 'empty axes mean no reduction instead of all axes' }),
    },
    inputs: ['data'],
    outputs: ['reduced'],
    inferShapes: (a, [x]) => {
      const axes = reducedAxes(a, x.length);
      const kept = keptShape(x, axes);
      return [a.keepdims || !axes ? kept : x.filter((_, i) => !axes.includes(i))];
    },
    onnx: withIo({
      since: 13,
      // noop_with_empty_axes exists from the opset where axes became an input: write it only when set.
      attrs: (a: { keepdims: boolean; noopWithEmptyAxes: boolean }) => ({ keepdims: a.keepdims ? 1 : 0, ...(a.noopWithEmptyAxes ? { noop_with_empty_axes: 1 } : {}) }),
      inputsFromAttrs: [{ index: 1, attr: 'axes', dtype: 'int64', sinceOpset: AXES_INPUT_SINCE[type] }],
    }),
  });
}

/** y = Σ x over `axes` (ONNX ReduceSum). */
export const ReduceSum = defineReduce('ReduceSum');
/** y = mean of x over `axes` (ONNX ReduceMean). */
export const ReduceMean = defineReduce('ReduceMean');
/** y = max of x over `axes` (ONNX ReduceMax); backward routes dy to the first maximum of each group. */
export const ReduceMax = defineReduce('ReduceMax');
