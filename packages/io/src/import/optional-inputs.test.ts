// Import of optional node inputs and outputs, Shape folding and SoftmaxCrossEntropyLoss's
// log_prob, each checked against ONNX Runtime on the same file.
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng } from '@hubel/core';
import { lossLayers } from '@hubel/layers-loss';
import { tensorLayers } from '@hubel/layers-tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { AttrType, DataType, UnsupportedOnnxError, encodeModel, importOnnx, makeTensor, type OnnxNodeProto } from '../index.js';

const registry = new Registry().use(cpuBackend, lossLayers, tensorLayers);
const vi = (name: string, shape: (number | string)[], elemType: number = DataType.FLOAT) => ({ name, kind: 'tensor' as const, elemType, shape });

function model(nodes: OnnxNodeProto[], inputs: ReturnType<typeof vi>[], outputs: ReturnType<typeof vi>[], initializers = [makeTensor('w', [4], [0.5, 2, 1, 3])], opset = 13) {
  return encodeModel({
    irVersion: 8, producerName: 'test', producerVersion: '', opsets: [{ domain: '', version: opset }], metadata: {}, functions: [],
    graph: { name: 'g', nodes, initializers, inputs, outputs, valueInfo: [] },
  });
}

const node = (opType: string, inputs: string[], outputs: string[], attributes: OnnxNodeProto['attributes'] = []): OnnxNodeProto => ({ name: opType.toLowerCase(), opType, domain: '', inputs, outputs, attributes });

/** Our outputs and ONNX Runtime's for x [3, 4, 2] (seed 91) and labels t [3, 2]. */
async function both(bytes: Uint8Array, outputs: string[]) {
  const r = new Rng(91);
  const x = Float32Array.from({ length: 24 }, () => r.normal());
  const t = [0, 3, 2, 1, 1, 0];
  const session = await ort.InferenceSession.create(bytes);
  const theirs = await session.run({ x: new ort.Tensor('float32', x, [3, 4, 2]), t: new ort.Tensor('int64', BigInt64Array.from(t, BigInt), [3, 2]) });
  await session.release();
  const backend = createCpuBackend();
  const m = importOnnx(bytes, { registry, backend });
  const run = m.forward({ x: backend.tensor(x, [3, 4, 2]), t: backend.tensor(t, [3, 2], 'int32') });
  const ours = await Promise.all(outputs.map(async (o) => ({ shape: run.get(o).shape, values: Array.from(await run.get(o).read()) })));
  run.dispose();
  m.dispose();
  return { ours, theirs: outputs.map((o) => ({ shape: theirs[o].dims, values: Array.from(theirs[o].data as Float32Array) })) };
}

// Both engines compute in float32: log-sum-exp over 4 classes and sums of ≤ 6 terms of size
// ≲ 5 agree to a few ulps of 5, far below 1e-5.
function expectClose(a: { shape: readonly number[]; values: number[] }, b: { shape: readonly number[]; values: number[] }, what: string) {
  expect(a.shape, what).toEqual(b.shape);
  a.values.forEach((v, i) => expect(Math.abs(v - b.values[i]), `${what}[${i}]: ${v} vs ${b.values[i]}`).toBeLessThan(1e-5));
}

describe('optional inputs and outputs on import', () => {
  it("an absent optional input ('') is left off: NegativeLogLikelihoodLoss(x, t, '') matches ONNX Runtime", async () => {
    const bytes = model([node('NegativeLogLikelihoodLoss', ['x', 't', ''], ['y'], [{ name: 'reduction', type: AttrType.STRING, s: 'sum' }])], [vi('x', [3, 4, 2]), vi('t', [3, 2], DataType.INT64)], [vi('y', [])], []);
    const { ours, theirs } = await both(bytes, ['y']);
    expectClose(ours[0], theirs[0], 'y');
  });

  it("SoftmaxCrossEntropyLoss with class weights, reduction 'none' and log_prob matches ONNX Runtime", async () => {
    const bytes = model(
      [node('SoftmaxCrossEntropyLoss', ['x', 't', 'w'], ['y', 'lp'], [{ name: 'reduction', type: AttrType.STRING, s: 'none' }, { name: 'ignore_index', type: AttrType.INT, i: 1 }])],
      [vi('x', [3, 4, 2]), vi('t', [3, 2], DataType.INT64)],
      [vi('y', [3, 2]), vi('lp', [3, 4, 2])],
    );
    const { ours, theirs } = await both(bytes, ['y', 'lp']);
    expectClose(ours[0], theirs[0], 'y');
    expectClose(ours[1], theirs[1], 'log_prob');
  });

  it('Shape of a value with a fixed shape folds into a constant that Reshape reads', async () => {
    // y = reshape(transpose(x), shape(x)): [3, 4, 2] again, elements reordered (as in ONNX's
    // SoftmaxCrossEntropyLoss function body).
    const bytes = model(
      [
        node('Transpose', ['x'], ['xt'], [{ name: 'perm', type: AttrType.INTS, ints: [0, 2, 1] }]),
        node('Shape', ['x'], ['s']),
        node('Reshape', ['xt', 's'], ['y']),
      ],
      [vi('x', [3, 4, 2]), vi('t', [3, 2], DataType.INT64)],
      [vi('y', [3, 4, 2])],
      [],
    );
    const { ours, theirs } = await both(bytes, ['y']);
    expectClose(ours[0], theirs[0], 'y');
  });

  it('Shape of a value with a symbolic batch stays a run-time Shape node, which Reshape cannot take', () => {
    const bytes = model([node('Shape', ['x'], ['s']), node('Reshape', ['x', 's'], ['y'])], [vi('x', ['N', 4, 2])], [vi('y', ['N', 4, 2])], []);
    expect(() => importOnnx(bytes, { registry, backend: createCpuBackend() })).toThrowError(UnsupportedOnnxError);
    expect(() => importOnnx(bytes, { registry, backend: createCpuBackend() })).toThrowError(/input 1 \('s'\) sets attribute 'shape' of Hubel's Reshape and must be a constant .* computed at run time/);
  });
});
