// Shape ops on WebGPU. Reshape is the backend's reshape copy (backward reshapes dy back).
// Transpose is the layout block's permute; backward applies the inverse permutation. Concat
// pads A with zeros after it and B with zeros before it along the axis (layout block) and adds
// the two (adding an exact 0 changes nothing); backward crops dy with the adjoint of padding.
// Constant returns a copy of its value; backward hands dy to the value. Shape uploads the input's dimensions as int32 (no
// data is read); its gradient is zeros.
import type {} from '@hubel/backend-webgpu';
import { defineKernel, type Shape } from '@hubel/core';
import { Concat, Constant, Reshape, ShapeOf, Transpose, permutation, shapeSlice } from './definition.js';

export const reshapeWebGpu = defineKernel(Reshape, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    return { outputs: [blocks.reshape(x, Reshape.inferShapes(attrs, [x.shape])[0])] };
  },
  backward({ backend: { blocks }, inputs: [x], dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.reshape(dy, x.shape) : undefined] };
  },
});

export const transposeWebGpu = defineKernel(Transpose, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    return { outputs: [blocks.permute(x, permutation(attrs.perm, x.shape.length))] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    // The inverse permutation q (q[perm[i]] = i) takes dy back to x's layout.
    const perm = permutation(attrs.perm, x.shape.length);
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return { dInputs: [blocks.permute(dy, inverse)] };
  },
});

/** Pads ([begins…, ends…]) placing A, then B, inside the concatenation of shapes a, b along `axis`. */
function concatPads(a: Shape, b: Shape, axis: number): [number[], number[]] {
  const r = a.length;
  const ax = axis < 0 ? axis + r : axis;
  const padA = new Array<number>(2 * r).fill(0);
  const padB = new Array<number>(2 * r).fill(0);
  padA[r + ax] = b[ax];
  padB[ax] = a[ax];
  return [padA, padB];
}

export const concatWebGpu = defineKernel(Concat, 'webgpu', {
  forward({ backend: { blocks }, attrs, inputs: [a, b] }) {
    Concat.inferShapes(attrs, [a.shape, b.shape]);
    const [padA, padB] = concatPads(a.shape, b.shape, attrs.axis);
    const pa = blocks.pad(a, padA, 'constant');
    const pb = blocks.pad(b, padB, 'constant');
    const y = blocks.map({ name: 'concat', expr: 'a + b', inputs: [pa, pb] });
    pa.dispose();
    pb.dispose();
    return { outputs: [y] };
  },
  backward({ backend: { blocks }, attrs, inputs: [a, b], dOutputs: [dy], wants }) {
    const [padA, padB] = concatPads(a.shape, b.shape, attrs.axis);
    return {
      dInputs: [
        wants.inputs[0] ? blocks.padBackward(dy, a.shape, padA, 'constant') : undefined,
        wants.inputs[1] ? blocks.padBackward(dy, b.shape, padB, 'constant') : undefined,
      ],
    };
  },
});

export const constantWebGpu = defineKernel(Constant, 'webgpu', {
  forward({ backend, params: { value } }) {
    return { outputs: [backend.ops.copy(value)] };
  },
  backward({ backend, dOutputs: [dy], wants }) {
    return { dInputs: [], dParams: wants.params ? { value: backend.ops.copy(dy) } : {} };
  },
});

export const shapeOfWebGpu = defineKernel(ShapeOf, 'webgpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const [start, end] = shapeSlice(attrs, x.shape.length);
    return { outputs: [backend.tensor(x.shape.slice(start, end), [end - start], 'int32')] };
  },
  backward({ backend, inputs: [x], wants }) {
    return { dInputs: [wants.inputs[0] ? backend.zeros(x.shape) : undefined] };
  },
});
