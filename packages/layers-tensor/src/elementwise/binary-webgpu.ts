// Binary elementwise ops on WebGPU: C = A ∘ B as one elementwise map with both operands
// numpy-broadcast (../broadcast-webgpu.ts). Backward maps the local products per output element
// (Add: 1, 1. Sub: 1, −1. Mul: B, A. Div: 1/B, −A/B². Pow: B·A^(B−1), C·ln A where A > 0.
// Max/Min: [A wins], [B wins], ties to A) times dC, then sums each back onto its operand's
// shape with the reduce block (the adjoint of broadcasting).
import type { WebGpuBackend } from '@hubel/backend-webgpu';
import { defineKernel, type BackwardResult, type Tensor } from '@hubel/core';
import { broadcastShapes } from '../broadcast.js';
import { mapBroadcast, sumTo } from '../broadcast-webgpu.js';
import { Add, Div, Max, Min, Mul, Pow, Sub, type BinaryOp } from './binary.js';

/**
 * WGSL statements setting `p` = x^y as Math.pow computes it. WGSL's pow is undefined for x < 0
 * and for x = 0, y ≤ 0, so it is applied to |x|, 0 is handled apart, and a negative x takes its
 * sign from y's parity (NaN for a non-integer y). +∞ and NaN arrive as the scalars s0 and s1:
 * a WGSL constant expression may not evaluate to either.
 */
function powStatements(x: string, y: string): string {
  return `let ex = ${y};
  var p = pow(abs(${x}), ex);
  if (${x} == 0.0) { p = select(s0, 0.0, ex > 0.0); }
  if (ex == 0.0) { p = 1.0; } else if (${x} < 0.0) {
    if (floor(ex) != ex) { p = s1; } else if (ex - 2.0 * floor(0.5 * ex) != 0.0) { p = -p; }
  }`;
}

const POW_SCALARS = [Infinity, NaN];

// Forward f(a = A, b = B). Max and Min let a NaN in either operand through, as ONNX does.
const FORWARD: Record<BinaryOp, string> = {
  Add: 'a + b',
  Sub: 'a - b',
  Mul: 'a * b',
  Div: 'a / b',
  Pow: `${powStatements('a', 'b')}\n  return p;`,
  Max: 'select(b, a, a >= b || a != a)',
  Min: 'select(b, a, a <= b || a != a)',
};

// Local products times dC, per output element, over a = dC, b = A, c = B, d = C:
// [for A, for B]; undefined means dC itself (nothing to map).
const BACKWARD: Record<BinaryOp, readonly [string | undefined, string | undefined]> = {
  Add: [undefined, undefined],
  Sub: [undefined, '-a'],
  Mul: ['a * c', 'a * b'],
  Div: ['a / c', '(-a * b) / (c * c)'],
  Pow: [`${powStatements('b', 'c - 1.0')}\n  return a * c * p;`, 'select(0.0, a * d * log(b), b > 0.0)'],
  // The winner is whichever operand equals C; A on ties (a NaN C sends dC to B, as on the CPU).
  Max: ['select(0.0, a, b == d)', 'select(0.0, a, b != d)'],
  Min: ['select(0.0, a, b == d)', 'select(0.0, a, b != d)'],
};

/** ∂C/∂(operand `which`)·dC summed onto that operand's shape; a fresh tensor. */
function operandGrad(be: WebGpuBackend, op: BinaryOp, which: number, [a, b]: readonly Tensor[], c: Tensor, dc: Tensor): Tensor {
  const x = which === 0 ? a : b;
  const expr = BACKWARD[op][which];
  if (expr === undefined) return sumTo(be, dc, x.shape, false);
  const local = mapBroadcast(be, `${op.toLowerCase()}.backward`, expr, [dc, a, b, c], c.shape, op === 'Pow' ? POW_SCALARS : undefined);
  return sumTo(be, local, x.shape, true);
}

function binaryKernel<D extends typeof Add>(layer: D, op: BinaryOp) {
  return defineKernel(layer, 'webgpu', {
    forward({ backend, inputs: [a, b] }) {
      const y = mapBroadcast(backend, op.toLowerCase(), FORWARD[op], [a, b], broadcastShapes(a.shape, b.shape), op === 'Pow' ? POW_SCALARS : undefined);
      return { outputs: [y] };
    },
    backward({ backend, inputs, outputs: [c], dOutputs: [dc], wants }): BackwardResult {
      return { dInputs: inputs.map((_, which) => (wants.inputs[which] ? operandGrad(backend, op, which, inputs, c, dc) : undefined)) };
    },
  });
}

export const addWebGpu = binaryKernel(Add, 'Add');
export const subWebGpu = binaryKernel(Sub, 'Sub');
export const mulWebGpu = binaryKernel(Mul, 'Mul');
export const divWebGpu = binaryKernel(Div, 'Div');
export const powWebGpu = binaryKernel(Pow, 'Pow');
export const maxWebGpu = binaryKernel(Max, 'Max');
export const minWebGpu = binaryKernel(Min, 'Min');
