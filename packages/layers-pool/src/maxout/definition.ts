import { attr, defineLayer, fmtShape, type OnnxFunctionBody, type Shape } from '@hubel/core';

/**
 * Maxout (Goodfellow et al. 2013), "pooling across feature groups": [N, C, ...] → [N, C/k, ...],
 * y[n, g, s] = max_{j<k} x[n, g·k + j, s] over each group of k = groupSize consecutive channels.
 * Backward routes ∂C/∂y to the arg-max; on ties the lowest channel of the group wins. ONNX has no
 * such op: it exports in domain ai.hubel with the function body
 * Reshape(X, [N, C/k, k, ...spatial]) → ReduceMax(axes = [2], keepdims = 0).
 */
export const Maxout = defineLayer({
  domain: 'ai.hubel',
  type: 'Maxout',
  doc: 'Max over groups of groupSize consecutive channels',
  attrs: { groupSize: attr.int({ min: 1, doc: 'k: channels per group; must divide C' }) },
  inferShapes: (a, [x]) => [maxoutOutputShape(a.groupSize, x)],
  onnx: {
    since: 1,
    functionBody: (a): OnnxFunctionBody => ({
      inputs: ['X'],
      outputs: ['Y'],
      opsets: { '': 18 },
      nodes: [
        { opType: 'Shape', inputs: ['X'], outputs: ['batch'], attrs: { start: 0, end: 1 } },
        { opType: 'Shape', inputs: ['X'], outputs: ['spatial'], attrs: { start: 2 } },
        { opType: 'Constant', inputs: [], outputs: ['groups'], attrs: { value: { tensor: { dims: [2], int64s: [-1, a.groupSize] } } } },
        { opType: 'Concat', inputs: ['batch', 'groups', 'spatial'], outputs: ['grouped_shape'], attrs: { axis: 0 } },
        { opType: 'Reshape', inputs: ['X', 'grouped_shape'], outputs: ['grouped'] },
        { opType: 'Constant', inputs: [], outputs: ['axis'], attrs: { value: { tensor: { dims: [1], int64s: [2] } } } },
        { opType: 'ReduceMax', inputs: ['grouped', 'axis'], outputs: ['Y'], attrs: { keepdims: 0 } },
      ],
    }),
  },
});

/** [N, C/k, ...]; throws a plain Error naming groupSize and the channels when k does not divide C. */
export function maxoutOutputShape(k: number, x: Shape): Shape {
  if (x.length < 2) throw new Error(`expected an input [N, C, ...], found rank ${x.length}`);
  if (x[1] % k !== 0) throw new Error(`attribute 'groupSize' ${k} does not divide the ${x[1]} channels of input ${fmtShape(x)}`);
  return [x[0], x[1] / k, ...x.slice(2)];
}
