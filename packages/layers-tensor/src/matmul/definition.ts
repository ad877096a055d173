import { defineLayer, type Shape } from '@hubel/core';
import { broadcastShapes } from '../broadcast.js';

/** MatMul's operands as batched matrices: batch shapes, m, k, n, and which ends were 1-D. */
export function matmulDims(a: Shape, b: Shape): { batchA: number[]; batchB: number[]; batch: number[]; m: number; k: number; n: number; out: number[] } {
  if (a.length === 0 || b.length === 0) throw new Error('MatMul operands must have rank >= 1');
  const A = a.length === 1 ? [1, a[0]] : [...a];
  const B = b.length === 1 ? [b[0], 1] : [...b];
  const [m, k] = A.slice(-2);
  const [kb, n] = B.slice(-2);
  if (k !== kb) throw new Error(`inner dimensions differ: A is [${a.join(', ')}], B is [${b.join(', ')}] (${k} vs ${kb})`);
  const batchA = A.slice(0, -2), batchB = B.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  const out = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
  return { batchA, batchB, batch, m, k, n, out };
}

/** Y = A·B with numpy semantics: batched over leading axes (broadcast), 1-D operands promoted (ONNX MatMul). */
export const MatMul = defineLayer({
  domain: '',
  type: 'MatMul',
  doc: 'Y = A·B, batched over leading axes with broadcasting',
  attrs: {},
  inputs: ['A', 'B'],
  inferShapes: (_a, [a, b]) => [matmulDims(a, b).out],
  onnx: { since: 13 },
});
