// Numpy broadcasting on WebGPU, shared by the package's WebGPU kernels: operands enter the
// elementwise block through `blocks.broadcastInput` (an index pattern, or an expanded copy when
// none fits), and the adjoint of a broadcast, Σ of a gradient over the repeated axes back onto
// the operand's shape, is the reduce block.
import type { WebGpuBackend } from '@hubel/backend-webgpu';
import { sameShape, type Shape, type Tensor } from '@hubel/core';

/**
 * Fresh tensor of `shape`: out[i] = f(inputs broadcast to `shape`), with f the WGSL `expr` of
 * the elementwise block (inputs a, b, c, d, …; scalars s0…s3); `outDType` 'int32' for an
 * i32-valued f. The caller owns the result.
 */
export function mapBroadcast(be: WebGpuBackend, name: string, expr: string, inputs: readonly Tensor[], shape: Shape, scalars?: readonly number[], outDType?: 'float' | 'int32'): Tensor {
  const ins = inputs.map((t) => be.blocks.broadcastInput(t, shape));
  const out = be.blocks.map({ name, expr, inputs: ins.map((x) => x.input), shape, scalars, outDType });
  for (const x of ins) x.temp?.dispose();
  return out;
}

/** Axes of `outShape` along which an operand of `inShape` (right-aligned) is repeated: absent or size 1. */
export function broadcastAxes(outShape: Shape, inShape: Shape): number[] {
  const lead = outShape.length - inShape.length;
  return outShape.flatMap((d, j) => (j < lead || (inShape[j - lead] === 1 && d !== 1) ? [j] : []));
}

/**
 * The adjoint of broadcasting an operand of `shape` to g's shape: Σ of g over the repeated
 * axes, as a fresh tensor of `shape`. `owned`: g is a temporary of the caller's, consumed here
 * (returned as is when nothing needs summing); otherwise g is left alone.
 */
export function sumTo(be: WebGpuBackend, g: Tensor, shape: Shape, owned: boolean): Tensor {
  if (sameShape(g.shape, shape)) return owned ? g : be.ops.copy(g);
  const out = be.blocks.reduce(g, { axes: broadcastAxes(g.shape, shape), outShape: shape });
  if (owned) g.dispose();
  return out;
}
