// MaxPool on the CPU: y[n, c, o] = max over the window's in-image taps t of x[n, c, t]; forward
// keeps argmax[n, c, o] (the flat index of the first maximum in row-major window order) and
// backward routes dx[argmax[i]] += dy[i]. Loops: backend-cpu's window block (windowMax, scatterAdd).
// The Indices output is that argmax (storageOrder 0) or, for storageOrder 1, the same spatial
// position re-read column-major: plane·S + Σ_k p_k·∏_{j<k} size_j.
import type { CpuBackend } from '@hubel/backend-cpu';
import { defineKernel, type Shape, type Tensor } from '@hubel/core';
import { windowAxes, windowOutputShape } from '../shared/window-attrs.js';
import { MaxPool } from './definition.js';

/** Row-major flat indices into x [N, C, ...spatial] → the same elements' column-major spatial index (a fresh int32 tensor). */
function columnMajor(backend: CpuBackend, argmax: Tensor, xShape: Shape): Tensor {
  const spatial = xShape.slice(2);
  const plane = spatial.reduce((p, d) => p * d, 1);
  // colStride[k] = ∏_{j<k} size_j: the first spatial axis varies fastest.
  const colStride = spatial.map((_, k) => spatial.slice(0, k).reduce((p, d) => p * d, 1));
  const out = backend.alloc(argmax.shape, 'int32');
  const src = backend.ints(argmax);
  const dst = backend.ints(out);
  for (let i = 0; i < src.length; i++) {
    let rem = src[i] % plane;
    let col = 0;
    for (let k = spatial.length - 1; k >= 0; k--) {
      col += (rem % spatial[k]) * colStride[k];
      rem = Math.floor(rem / spatial[k]);
    }
    dst[i] = src[i] - (src[i] % plane) + col;
  }
  return out;
}

export const maxPoolCpu = defineKernel(MaxPool, 'cpu', {
  forward({ backend, attrs, inputs: [x], outputsWanted }) {
    const axes = windowAxes(attrs, x.shape);
    const { y, argmax } = backend.blocks.windowMax(x, backend.blocks.windowPlan(axes), windowOutputShape(x.shape, axes));
    // storageOrder 0 hands out the arg-max itself (saved references an output: disposed once).
    const colMajor = attrs.storageOrder === 1 && outputsWanted?.[1] !== false;
    const indices = colMajor ? columnMajor(backend, argmax, x.shape) : argmax;
    return { outputs: [y, indices], saved: { argmax } };
  },
  backward({ backend: { blocks }, inputs: [x], saved: { argmax }, dOutputs: [dy], wants }) {
    return { dInputs: [wants.inputs[0] ? blocks.scatterAdd(dy, argmax, x.shape) : undefined] };
  },
});
