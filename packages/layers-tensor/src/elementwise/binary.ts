import { defineLayer } from '@hubel/core';
import { broadcastShapes } from '../broadcast.js';

/** Elementwise binary ops with numpy broadcasting (ONNX Add, Sub, Mul, Div, Pow, and two-input Max, Min). */
export type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Max' | 'Min';

const DOCS: Record<BinaryOp, string> = {
  Add: 'C = A + B, with numpy broadcasting',
  Sub: 'C = A − B, with numpy broadcasting',
  Mul: 'C = A ⊙ B, with numpy broadcasting',
  Div: 'C = A / B, with numpy broadcasting',
  Pow: 'C = A^B, with numpy broadcasting (∂C/∂B is taken as 0 where A ≤ 0)',
  Max: 'C = max(A, B), with numpy broadcasting',
  Min: 'C = min(A, B), with numpy broadcasting',
};

function defineBinary<T extends BinaryOp>(type: T) {
  return defineLayer({
    domain: '',
    type,
    doc: DOCS[type],
    attrs: {},
    inputs: ['A', 'B'],
    outputs: ['C'],
    inferShapes: (_a, [a, b]) => [broadcastShapes(a, b)],
    onnx: { since: 13 },
  });
}

/** C = A + B (numpy broadcasting; ONNX Add). */
export const Add = defineBinary('Add');
/** C = A − B (numpy broadcasting; ONNX Sub). */
export const Sub = defineBinary('Sub');
/** C = A ⊙ B (numpy broadcasting; ONNX Mul). */
export const Mul = defineBinary('Mul');
/** C = A / B (numpy broadcasting; ONNX Div). */
export const Div = defineBinary('Div');
/** C = A^B (numpy broadcasting; ONNX Pow). The gradient w.r.t. B is 0 where A ≤ 0 (ln A undefined). */
export const Pow = defineBinary('Pow');

/** C = max(A, B) (ONNX Max with two inputs; the importer chains more). Ties send dC to A. */
export const Max = defineBinary('Max');
/** C = min(A, B) (ONNX Min with two inputs; the importer chains more). Ties send dC to A. */
export const Min = defineBinary('Min');

export const BINARY_LAYERS = [Add, Sub, Mul, Div, Pow, Max, Min] as const;
