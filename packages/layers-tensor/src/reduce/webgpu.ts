// Reductions on WebGPU. Sum and Mean are the backend's reduce block; backward broadcasts dy
// (read with the reduced axes kept) back over x, scaled by 1/count for Mean. Max is the window
// block over x viewed as [outer, 1, reduced, inner] (reduced axes permuted last when they are
// not adjacent): y = the group's max and its argmax, the first maximum, to which backward
// routes dy (the CPU kernel's rule).
import { windowView, type WebGpuBackend, type WindowView } from '@hubel/backend-webgpu';
import { defineKernel, sizeOf, type Shape, type Tensor } from '@hubel/core';
import { ReduceMax, ReduceMean, ReduceSum, keptShape, reducedAxes, type ReduceOp } from './definition.js';

/**
 * The window view of x reducing `axes`: when the reduced axes of size > 1 are adjacent, x as
 * it is; otherwise after `perm`, which moves them last (kept axes first, order preserved).
 */
function maxView(shape: Shape, axes: readonly number[]): { perm?: number[]; permuted: Shape; view: WindowView } {
  const isRed = shape.map((_, i) => axes.includes(i));
  const red = shape.flatMap((d, i) => (isRed[i] && d > 1 ? [i] : []));
  const nRed = sizeOf(red.map((i) => shape[i]));
  const between = red.length ? shape.slice(red[0], red[red.length - 1] + 1).some((d, j) => d > 1 && !isRed[red[0] + j]) : false;
  const axis = { inSize: nRed, outSize: 1, kernel: nRed, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 };
  if (!between) {
    const first = red.length ? red[0] : shape.length;
    const outer = sizeOf(shape.slice(0, first));
    return { permuted: shape, view: windowView(outer, [axis], sizeOf(shape) / (outer * nRed)) };
  }
  const perm = [...shape.keys()].sort((p, q) => Number(isRed[p]) - Number(isRed[q]) || p - q);
  return { perm, permuted: perm.map((p) => shape[p]), view: windowView(sizeOf(shape) / nRed, [axis]) };
}

function reduceMaxForward(be: WebGpuBackend, x: Tensor, axes: readonly number[], outShape: Shape): { y: Tensor; argmax: Tensor } {
  const { perm, view } = maxView(x.shape, axes);
  const xp = perm ? be.blocks.permute(x, perm) : x;
  const { y, argmax } = be.blocks.window(xp, view, 'max', outShape);
  if (xp !== x) xp.dispose();
  return { y, argmax: argmax! };
}

function reduceMaxBackward(be: WebGpuBackend, dy: Tensor, x: Tensor, axes: readonly number[], argmax: Tensor): Tensor {
  const { perm, permuted, view } = maxView(x.shape, axes);
  const dxp = be.blocks.windowBackward(dy, view, 'max', permuted, argmax);
  if (!perm) return dxp;
  // The inverse permutation q (q[perm[i]] = i) takes dx back to x's layout.
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const dx = be.blocks.permute(dxp, inverse);
  dxp.dispose();
  return dx;
}

function reduceKernel<D extends typeof ReduceSum>(layer: D, op: ReduceOp) {
  return defineKernel(layer, 'webgpu', {
    forward({ backend, attrs, inputs: [x] }) {
      const axes = reducedAxes(attrs, x.shape.length);
      if (!axes) return { outputs: [backend.ops.copy(x)] };
      const shape = layer.inferShapes(attrs, [x.shape])[0];
      if (op === 'ReduceMax') {
        const { y, argmax } = reduceMaxForward(backend, x, axes, shape);
        return { outputs: [y], saved: { argmax } };
      }
      return { outputs: [backend.blocks.reduce(x, { axes, op: op === 'ReduceMean' ? 'mean' : 'sum', outShape: shape })] };
    },
    backward({ backend, attrs, inputs: [x], dOutputs: [dy], saved, wants }) {
      if (!wants.inputs[0]) return { dInputs: [undefined] };
      const axes = reducedAxes(attrs, x.shape.length);
      if (!axes) return { dInputs: [backend.ops.copy(dy)] };
      if (op === 'ReduceMax') return { dInputs: [reduceMaxBackward(backend, dy, x, axes, saved.argmax as Tensor)] };
      const { input, temp } = backend.blocks.broadcastInput(dy, x.shape, keptShape(x.shape, axes));
      const scale = op === 'ReduceMean' ? dy.size / x.size : 1;
      const dx = backend.blocks.map({ name: `${op}.backward`, expr: 'a * s0', inputs: [input], shape: x.shape, scalars: [scale] });
      temp?.dispose();
      return { dInputs: [dx] };
    },
  });
}

export const reduceSumWebGpu = reduceKernel(ReduceSum, 'ReduceSum');
export const reduceMeanWebGpu = reduceKernel(ReduceMean, 'ReduceMean');
export const reduceMaxWebGpu = reduceKernel(ReduceMax, 'ReduceMax');
