// Shape ops on the CPU. Reshape copies the elements under the new shape (backward reshapes dy
// back). Transpose is the backend's transpose block; backward applies the inverse permutation. Concat copies [outer, A's axis·inner] and [outer, B's axis·inner]
// runs side by side; backward splits dy the same way. Constant returns a copy of its value;
// backward hands dy to the value. Shape uploads the input's dimensions as int32 (no
// data is read); its gradient is zeros.
import type { CpuBackend } from '@hubel/backend-cpu';
import { defineKernel, sizeOf, type Shape, type Tensor } from '@hubel/core';
import { Concat, Constant, Reshape, ShapeOf, Transpose, permutation, shapeSlice } from './definition.js';

export const reshapeCpu = defineKernel(Reshape, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    return { outputs: [blocks.reshape(x, Reshape.inferShapes(attrs, [x.shape])[0])] };
  },
  backward({ backend: { blocks }, inputs: [x], dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.reshape(dy, x.shape) : undefined] };
  },
});

export const transposeCpu = defineKernel(Transpose, 'cpu', {
  forward({ backend: { blocks }, attrs, inputs: [x] }) {
    return { outputs: [blocks.transpose(x, permutation(attrs.perm, x.shape.length))] };
  },
  backward({ backend: { blocks }, attrs, inputs: [x], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    // The inverse permutation q (q[perm[i]] = i) takes dy back to x's layout.
    const perm = permutation(attrs.perm, x.shape.length);
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return { dInputs: [blocks.transpose(dy, inverse)] };
  },
});

/** [outer, run length of A, run length of B] for a concat of shapes a, b along `axis`. */
function runs(a: Shape, b: Shape, axis: number): [number, number, number] {
  const ax = axis < 0 ? axis + a.length : axis;
  const inner = sizeOf(a.slice(ax + 1));
  return [sizeOf(a.slice(0, ax)), a[ax] * inner, b[ax] * inner];
}

function copyRuns(be: CpuBackend, parts: readonly Tensor[], whole: Tensor, axis: number, split: boolean): void {
  const [outer, ra, rb] = runs(parts[0].shape, parts[1].shape, axis);
  const w = be.data(whole), a = be.data(parts[0]), b = be.data(parts[1]);
  for (let o = 0; o < outer; o++) {
    const base = o * (ra + rb);
    if (split) {
      a.set(w.subarray(base, base + ra), o * ra);
      b.set(w.subarray(base + ra, base + ra + rb), o * rb);
    } else {
      w.set(a.subarray(o * ra, (o + 1) * ra), base);
      w.set(b.subarray(o * rb, (o + 1) * rb), base + ra);
    }
  }
}

export const concatCpu = defineKernel(Concat, 'cpu', {
  forward({ backend, attrs, inputs }) {
    const out = backend.alloc(Concat.inferShapes(attrs, inputs.map((t) => t.shape))[0]);
    copyRuns(backend, inputs, out, attrs.axis, false);
    return { outputs: [out] };
  },
  backward({ backend, attrs, inputs, dOutputs: [dy], wants }) {
    const parts = inputs.map((t) => backend.alloc(t.shape));
    copyRuns(backend, parts, dy, attrs.axis, true);
    return { dInputs: parts.map((p, i) => (wants.inputs[i] ? p : (p.dispose(), undefined))) };
  },
});

export const constantCpu = defineKernel(Constant, 'cpu', {
  forward({ backend, params: { value } }) {
    return { outputs: [backend.ops.copy(value)] };
  },
  backward({ backend, dOutputs: [dy], wants }) {
    return { dInputs: [], dParams: wants.params ? { value: backend.ops.copy(dy) } : {} };
  },
});

export const shapeOfCpu = defineKernel(ShapeOf, 'cpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const [start, end] = shapeSlice(attrs, x.shape.length);
    return { outputs: [backend.tensor(x.shape.slice(start, end), [end - start], 'int32')] };
  },
  backward({ backend, inputs: [x], wants }) {
    return { dInputs: [wants.inputs[0] ? backend.zeros(x.shape) : undefined] };
  },
});
