import { attr, defineLayer, fmtShape, sameShape, type OnnxFunctionBody, type OnnxFunctionNode } from '@hubel/core';

/** ONNX TensorProto.FLOAT, the element type Hubel's ONNX files use. */
const ONNX_FLOAT = 1;

/**
 * C = ½‖x − t‖² summed over every element, for [N, …] predictions x and targets t of the same
 * shape; `reduction: 'mean'` (default) divides by the batch size N (Caffe's EuclideanLoss:
 * 1/2N Σ‖x_n − t_n‖²), `'sum'` does not. Output: a scalar (shape []). ONNX has no such op, so it
 * exports in the `ai.hubel` domain with a function body of standard ops.
 */
export const EuclideanLoss = defineLayer({
  domain: 'ai.hubel',
  type: 'EuclideanLoss',
  doc: 'C = ½‖x − t‖², divided by the batch size when reduction is mean',
  role: 'loss',
  inputs: ['X', 'T'],
  attrs: { reduction: attr.string({ oneOf: ['mean', 'sum'], default: 'mean', doc: "'mean' divides the sum by the batch size N" }) },
  inferShapes: (_a, [x, t]) => {
    if (x.length < 1) throw new Error('expected predictions X of rank >= 1 [N, ...], found a scalar');
    if (!sameShape(x, t)) throw new Error(`predictions X and targets T must have the same shape, found X ${fmtShape(x)} and T ${fmtShape(t)}`);
    return [[]];
  },
  onnx: { since: 1, functionBody: (a) => euclideanBody(a.reduction) },
});

/** Y = ReduceSum((X − T)²)·½, then ÷ N (N = Shape(X)[0], cast to float) for 'mean'. */
function euclideanBody(reduction: 'mean' | 'sum'): OnnxFunctionBody {
  const nodes: OnnxFunctionNode[] = [
    { opType: 'Sub', inputs: ['X', 'T'], outputs: ['D'] },
    { opType: 'Mul', inputs: ['D', 'D'], outputs: ['D2'] },
    // ReduceSum-13 with no `axes` input (and noop_with_empty_axes = 0) reduces every axis.
    { opType: 'ReduceSum', inputs: ['D2'], outputs: ['S'], attrs: { keepdims: 0 } },
    { opType: 'Constant', inputs: [], outputs: ['Half'], attrs: { value: { tensor: { dims: [], floats: [0.5] } } } },
    { opType: 'Mul', inputs: ['S', 'Half'], outputs: [reduction === 'mean' ? 'HalfS' : 'Y'] },
  ];
  if (reduction === 'mean') {
    nodes.push(
      { opType: 'Shape', inputs: ['X'], outputs: ['XShape'] },
      { opType: 'Constant', inputs: [], outputs: ['Zero'], attrs: { value: { tensor: { dims: [], int64s: [0] } } } },
      { opType: 'Gather', inputs: ['XShape', 'Zero'], outputs: ['N'], attrs: { axis: 0 } },
      { opType: 'Cast', inputs: ['N'], outputs: ['NFloat'], attrs: { to: ONNX_FLOAT } },
      { opType: 'Div', inputs: ['HalfS', 'NFloat'], outputs: ['Y'] },
    );
  }
  return { inputs: ['X', 'T'], outputs: ['Y'], nodes, opsets: { '': 13 } };
}
