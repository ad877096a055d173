// Comparisons, Where and CastLike on WebGPU, each one elementwise map over numpy-broadcast
// operands (../broadcast-webgpu.ts). Less/Greater/Equal: C = [A < B] (resp. >, =) as i32 0/1,
// gradient 0. Where: out = cond ≠ 0 ? X : Y; dX = Σ over the broadcast of [cond]·dout and
// dY = Σ of [¬cond]·dout (the reduce block, the adjoint of broadcasting). CastLike with a
// float target: out = input (a copy), d input = dout, d target = 0.
import type { WebGpuBackend } from '@hubel/backend-webgpu';
import { defineKernel, type BackwardResult, type Tensor } from '@hubel/core';
import { broadcastShapes } from '../broadcast.js';
import { mapBroadcast, sumTo } from '../broadcast-webgpu.js';
import { CastLike, Equal, Greater, Less, Where, type CompareOp } from './definition.js';

// f(a = A, b = B) as i32 0/1; a NaN operand compares false.
const COMPARE: Record<CompareOp, string> = {
  Less: 'select(0, 1, a < b)',
  Greater: 'select(0, 1, a > b)',
  Equal: 'select(0, 1, a == b)',
};

function compareKernel<D extends typeof Less>(layer: D, op: CompareOp) {
  return defineKernel(layer, 'webgpu', {
    forward({ backend, inputs: [a, b] }) {
      return { outputs: [mapBroadcast(backend, op.toLowerCase(), COMPARE[op], [a, b], broadcastShapes(a.shape, b.shape), undefined, 'int32')] };
    },
    backward({ backend, inputs, wants }): BackwardResult {
      return { dInputs: inputs.map((x, i) => (wants.inputs[i] ? backend.zeros(x.shape) : undefined)) };
    },
  });
}

export const lessWebGpu = compareKernel(Less, 'Less');
export const greaterWebGpu = compareKernel(Greater, 'Greater');
export const equalWebGpu = compareKernel(Equal, 'Equal');

/** [cond = taken]·dout (a = dout, b = cond) summed onto the operand's shape; a fresh tensor. */
function whereGrad(be: WebGpuBackend, cond: Tensor, dout: Tensor, operand: Tensor, taken: boolean): Tensor {
  const expr = taken ? 'select(0.0, a, b != 0)' : 'select(a, 0.0, b != 0)';
  const local = mapBroadcast(be, 'where.backward', expr, [dout, cond], dout.shape);
  return sumTo(be, local, operand.shape, true);
}

export const whereWebGpu = defineKernel(Where, 'webgpu', {
  forward({ backend, inputs: [c, x, y] }) {
    const shape = broadcastShapes(broadcastShapes(c.shape, x.shape), y.shape);
    return { outputs: [mapBroadcast(backend, 'where', 'select(c, b, a != 0)', [c, x, y], shape)] };
  },
  backward({ backend, inputs: [c, x, y], dOutputs: [dout], wants }): BackwardResult {
    return {
      dInputs: [
        undefined,
        wants.inputs[1] ? whereGrad(backend, c, dout, x, true) : undefined,
        wants.inputs[2] ? whereGrad(backend, c, dout, y, false) : undefined,
      ],
    };
  },
});

export const castLikeWebGpu = defineKernel(CastLike, 'webgpu', {
  forward({ backend, inputs: [x] }) {
    return { outputs: [backend.ops.copy(x)] };
  },
  backward({ backend, inputs: [, like], dOutputs: [dout], wants }) {
    return { dInputs: [wants.inputs[0] ? backend.ops.copy(dout) : undefined, wants.inputs[1] ? backend.zeros(like.shape) : undefined] };
  },
});
