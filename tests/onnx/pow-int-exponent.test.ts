// ONNX Pow with a float base and an integer exponent (ONNX's T1 ∈ int8…uint64): the importer
// reads integer exponents as floats, so the model computes X^Y as Math.pow does and as ONNX
// Runtime does, while an integer base (an integer result) stays outside what Hubel computes.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { DataType, UnsupportedOnnxError, dataTypeName, encodeModel, importOnnx, integerInputsReadAsFloat, makeTensor, type OnnxModelProto } from '@hubel/io';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { fullRegistry } from './helpers.js';

const registry = fullRegistry();
const SEED = 41;
const SHAPE = [3, 4];

/** Pow(x, y) → z, x FLOAT, y of `yType`: a graph input, or an initializer holding `yInit`. */
function powModel(yType: number, o: { xType?: number; yInit?: readonly number[] } = {}): OnnxModelProto {
  const vi = (name: string, elemType: number) => ({ name, kind: 'tensor' as const, elemType, shape: SHAPE });
  const xType = o.xType ?? DataType.FLOAT;
  return {
    irVersion: 8, producerName: 'test', producerVersion: '', opsets: [{ domain: '', version: 15 }], metadata: {}, functions: [],
    graph: {
      name: 'pow',
      nodes: [{ name: 'pow', opType: 'Pow', domain: '', inputs: ['x', 'y'], outputs: ['z'], attributes: [] }],
      initializers: o.yInit ? [makeTensor('y', SHAPE, o.yInit, yType)] : [],
      inputs: o.yInit ? [vi('x', xType)] : [vi('x', xType), vi('y', yType)],
      outputs: [vi('z', xType)],
      valueInfo: [],
    },
  };
}

/** Bases in [−2.5, 2.5) with a few exact values (0, negatives for odd and even exponents), exponents −3…3 (seed 41). */
function draw(): { x: Float32Array; y: number[] } {
  const r = new Rng(SEED);
  const x = Float32Array.from({ length: 12 }, () => r.range(-2.5, 2.5));
  x.set([0, -2, -1.5, 2], 0);
  const y = Array.from({ length: 12 }, () => r.int(7) - 3);
  y.splice(0, 4, 0, 3, 2, -2);
  return { x, y };
}

/** Hubel's float32 CPU result: Math.pow of the float32 base and the integer exponent, rounded to float32. */
const expected = (x: Float32Array, y: readonly number[]) => Array.from(x, (v, i) => Math.fround(Math.pow(v, y[i])));

async function runHubel(bytes: Uint8Array, x: Float32Array, y: readonly number[] | undefined) {
  const backend = createCpuBackend();
  const model = importOnnx(bytes, { registry, backend, file: 'pow.onnx' });
  const feeds = { x: backend.tensor(x, SHAPE), ...(y ? { y: backend.tensor(y, SHAPE) } : {}) };
  const run = model.forward(feeds, { mode: 'eval' });
  const z = Array.from(await run.get('z').read());
  const inputs = model.inputs.map((v) => [v.name, v.dtype]);
  run.dispose();
  Object.values(feeds).forEach((t) => t.dispose());
  model.dispose();
  return { z, inputs };
}

async function runOrt(bytes: Uint8Array, x: Float32Array, y: ort.Tensor | undefined): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, SHAPE), ...(y ? { y } : {}) });
    return Array.from(out.z.data as Float32Array);
  } finally {
    await session.release();
  }
}

/**
 * ONNX Runtime raises float32 to an integer power with its own pow (float or double): results
 * may differ from Math.pow's correctly rounded double in the last float32 bit, 2^-23 relative.
 */
const closeTo = (got: readonly number[], want: readonly number[], what: string) =>
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `${what} element ${i} (seed ${SEED}): ${got[i]} vs ${w}`).toBeLessThanOrEqual(2 ** -22 * Math.abs(w)));

describe('ONNX Pow with an integer exponent', () => {
  const { x, y } = draw();
  const want = expected(x, y);

  const ortTensors: Record<string, ort.Tensor> = {
    INT32: new ort.Tensor('int32', Int32Array.from(y), SHAPE),
    INT64: new ort.Tensor('int64', BigInt64Array.from(y, (v) => BigInt(v)), SHAPE),
  };
  for (const yType of [DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64]) {
    const name = dataTypeName(yType);
    const unsigned = yType === DataType.UINT32 || yType === DataType.UINT64;
    // Unsigned exponents cannot be negative.
    const ys = unsigned ? y.map(Math.abs) : y;
    const wantHere = unsigned ? expected(x, ys) : want;

    it(`${name} graph input: imported as a float input, z = Math.pow(x, y) exactly (seed ${SEED})`, async () => {
      const bytes = encodeModel(powModel(yType));
      const { z, inputs } = await runHubel(bytes, x, ys);
      expect(inputs).toEqual([['x', 'float'], ['y', 'float']]);
      // The same double computation rounded once to float32: bit for bit.
      expect(z).toEqual(wantHere);
      // (−2)^3 = −8 and, for signed exponents, 2^−2 = 0.25 are among them.
      expect([z[0], z[1], z[3]]).toEqual([1, -8, unsigned ? 4 : 0.25]);
    });

    // ONNX Runtime 1.30's CPU Pow takes int32, int64, float and double exponents only.
    if (ortTensors[name]) {
      it(`${name} graph input: ONNX Runtime agrees (seed ${SEED})`, async () => {
        const bytes = encodeModel(powModel(yType));
        closeTo(await runOrt(bytes, x, ortTensors[name]), want, `ONNX Runtime, ${name} exponent`);
        closeTo((await runHubel(bytes, x, y)).z, await runOrt(bytes, x, ortTensors[name]), `Hubel vs ONNX Runtime, ${name} exponent`);
      });
    }
  }

  it(`INT64 initializer exponent: a constant, z matches Math.pow and ONNX Runtime (seed ${SEED})`, async () => {
    const bytes = encodeModel(powModel(DataType.INT64, { yInit: y }));
    const { z, inputs } = await runHubel(bytes, x, undefined);
    expect(inputs).toEqual([['x', 'float']]);
    expect(z).toEqual(want);
    closeTo(await runOrt(bytes, x, undefined), z, 'ONNX Runtime, INT64 initializer');
  });

  it('an integer base (an integer result, outside what Hubel computes) is an UnsupportedOnnxError at import naming the input and the slot', () => {
    const proto = powModel(DataType.INT32, { xType: DataType.INT32 });
    expect([...integerInputsReadAsFloat(proto.graph)]).toEqual(['y']);
    const load = () => importOnnx(encodeModel(proto), { registry, backend: createCpuBackend(), file: 'pow-int.onnx' });
    expect(load).toThrowError(UnsupportedOnnxError);
    expect(load).toThrowError(/^pow-int\.onnx: .*graph input 'x' holds integers, but input 0 \('A'\) of Hubel's Pow computes on float/);
  });

  it('an integer input read by anything else than an exponent is not read as float', () => {
    const proto = powModel(DataType.INT32);
    const alsoAdded = { ...proto.graph, nodes: [...proto.graph.nodes, { name: 'add', opType: 'Add', domain: '', inputs: ['z', 'y'], outputs: ['w'], attributes: [] }] };
    expect(integerInputsReadAsFloat(alsoAdded).size).toBe(0);
    const passedThrough = { ...proto.graph, outputs: [...proto.graph.outputs, { name: 'y', kind: 'tensor' as const, elemType: DataType.INT32, shape: SHAPE }] };
    expect(integerInputsReadAsFloat(passedThrough).size).toBe(0);
  });
});
