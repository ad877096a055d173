// The ONNX form of a workload's computation, the one description both peers read: ONNX Runtime
// loads it as a file, the TensorFlow.js peer translates its nodes into TF.js ops and takes the
// weights from its initializers. Models go through Hubel's own exporter (@hubel/io).
import { buildModelProto, DataType, type OnnxModelProto } from '@hubel/io';
import type { PeerSpec } from '../workload.js';

/** Names of the graph values of a {@link PeerSpec}'s `matmul` model: C = MatMul(A, B). */
export const MATMUL_IO = { a: 'A', b: 'B', c: 'C' } as const;

/**
 * The spec as an ONNX ModelProto: a model spec through `buildModelProto` (what `exportOnnx`
 * writes), a matmul spec as a one-node MatMul graph with both operands as graph inputs (as
 * Hubel's `gemm` takes them: nothing is packed ahead of the run).
 */
export async function specProto(spec: PeerSpec): Promise<OnnxModelProto> {
  if (spec.kind === 'model') return buildModelProto(spec.model);
  const value = (name: string, shape: number[]) => ({ name, kind: 'tensor' as const, elemType: DataType.FLOAT, shape });
  return {
    irVersion: 10,
    producerName: 'hubel-bench',
    producerVersion: '',
    opsets: [{ domain: '', version: 13 }],
    graph: {
      name: 'matmul',
      nodes: [{ name: 'matmul', opType: 'MatMul', domain: '', inputs: [MATMUL_IO.a, MATMUL_IO.b], outputs: [MATMUL_IO.c], attributes: [] }],
      initializers: [],
      inputs: [value(MATMUL_IO.a, [spec.m, spec.k]), value(MATMUL_IO.b, [spec.k, spec.n])],
      outputs: [value(MATMUL_IO.c, [spec.m, spec.n])],
      valueInfo: [],
    },
    metadata: {},
    functions: [],
  };
}
