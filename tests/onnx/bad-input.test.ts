// Corrupt and hostile files: every one must end in a typed HubelError with a clear message,
// quickly, without allocating what the file merely claims.
import { createCpuBackend } from '@hubel/backend-cpu';
import { HubelError, Rng, Sequential } from '@hubel/core';
import { AttrType, DataType, UnsupportedOnnxError, buildModelProto, encodeModel, exportOnnx, importOnnx, makeTensor, type OnnxModelProto } from '@hubel/io';
import { Relu } from '@hubel/layers-activation';
import { Linear } from '@hubel/layers-dense';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fullRegistry } from './helpers.js';

const registry = fullRegistry();
const backend = createCpuBackend();
let proto: OnnxModelProto;
let valid: Uint8Array;

beforeAll(async () => {
  const model = new Sequential([null, 4], { registry }).add(Linear, { outFeatures: 3 }, 'fc1').add(Relu, undefined, 'relu1').add(Linear, { outFeatures: 2 }, 'fc2').build({ backend, seed: 1 });
  proto = await buildModelProto(model);
  valid = await exportOnnx(model);
});

const load = (bytes: Uint8Array) => () => importOnnx(bytes, { registry, backend, file: 'bad.onnx' });
const edit = (f: (m: OnnxModelProto) => OnnxModelProto) => encodeModel(f(proto));
const withNodes = (m: OnnxModelProto, nodes: OnnxModelProto['graph']['nodes']): OnnxModelProto => ({ ...m, graph: { ...m.graph, nodes } });

describe('bad ONNX input', () => {
  it('the untouched file imports (the edits below are what breaks it)', () => {
    expect(load(valid)().nodes.map((n) => n.name)).toEqual(['fc1', 'relu1', 'fc2']);
  });

  it('a truncated file is a format error naming the file', () => {
    for (const cut of [1, 10, valid.length >> 1, valid.length - 3]) {
      expect(load(valid.subarray(0, cut))).toThrowError(HubelError);
      expect(load(valid.subarray(0, cut))).toThrowError(/^bad\.onnx: /);
    }
  });

  it('random bytes are a format error (seed 3)', () => {
    const r = new Rng(3);
    for (let k = 0; k < 20; k++) {
      const bytes = Uint8Array.from({ length: 64 + k * 13 }, () => r.int(256));
      expect(load(bytes), `random file ${k}`).toThrowError(HubelError);
    }
  });

  it('a tensor header declaring 10^12 elements fails fast, before any allocation', () => {
    const huge = edit((m) => ({ ...m, graph: { ...m.graph, initializers: m.graph.initializers.map((t, i) => (i === 0 ? { ...t, dims: [1_000_000, 1_000_000] } : t)) } }));
    const t0 = performance.now();
    expect(load(huge)).toThrowError(/initializer 'fc1\.W'.*declares more than \d+ elements/);
    const sizeLie = edit((m) => ({ ...m, graph: { ...m.graph, initializers: m.graph.initializers.map((t, i) => (i === 0 ? { ...t, dims: [30_000, 30_000] } : t)) } }));
    expect(load(sizeLie)).toThrowError(/raw_data holds 48 bytes, shape \[30000, 30000\] of FLOAT needs 3600000000/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('wrong data types are typed errors', () => {
    const str = edit((m) => ({ ...m, graph: { ...m.graph, initializers: m.graph.initializers.map((t, i) => (i === 0 ? { ...t, dataType: DataType.STRING } : t)) } }));
    expect(load(str)).toThrowError(/initializer 'fc1\.W': data type STRING is not supported/);
    const int8Input = edit((m) => ({ ...m, graph: { ...m.graph, inputs: [{ ...m.graph.inputs[0], elemType: DataType.INT8 }] } }));
    expect(load(int8Input)).toThrowError(UnsupportedOnnxError);
    expect(load(int8Input)).toThrowError(/graph input 'input' has element type INT8/);
  });

  it('a missing initializer names the node and the value', () => {
    const missing = edit((m) => ({ ...m, graph: { ...m.graph, initializers: m.graph.initializers.filter((t) => t.name !== 'fc2.W') } }));
    expect(load(missing)).toThrowError(/node 'fc2' \(Gemm\) reads value 'fc2\.W', which is not a graph input, an initializer or any node's output/);
  });

  it('a cycle is reported with the nodes on it', () => {
    const cyclic = edit((m) => withNodes(m, m.graph.nodes.map((n) => (n.name === 'fc1' ? { ...n, inputs: ['fc2', ...n.inputs.slice(1)] } : n))));
    expect(load(cyclic)).toThrowError(/the graph has a cycle through node 'fc1' \(Gemm\), node 'relu1' \(Relu\), node 'fc2' \(Gemm\)/);
  });

  it('a value defined twice is rejected', () => {
    const dup = edit((m) => withNodes(m, m.graph.nodes.map((n) => (n.name === 'relu1' ? { ...n, outputs: ['fc1'] } : n))));
    expect(load(dup)).toThrowError(/value 'fc1' is defined twice \(by node 'fc1' \(Gemm\) and by node 'relu1' \(Relu\)\)/);
  });

  it('an unknown attribute names the node, the attribute and what the layer reads', () => {
    const extra = edit((m) => withNodes(m, m.graph.nodes.map((n) => (n.name === 'relu1' ? { ...n, attributes: [{ name: 'slope', type: AttrType.FLOAT, f: 0.5 }] } : n))));
    expect(load(extra)).toThrowError(/node 'relu1' \(Relu\): unknown attribute\(s\) 'slope'/);
  });

  it('unsupported ops are listed all at once', () => {
    const node = (op: string, i: number) => ({ name: `x${i}`, opType: op, domain: '', inputs: ['relu1'], outputs: [`x${i}`], attributes: [] });
    const ops = edit((m) => withNodes(m, [...m.graph.nodes, node('Loop', 1), node('TopK', 2), node('Loop', 3)]));
    const err = (() => {
      try {
        load(ops)();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsupportedOnnxError);
    expect((err as UnsupportedOnnxError).unsupported).toEqual(['Loop', 'TopK']);
  });

  it('a constant tensor attribute with too little data is a format error', () => {
    const c = { name: 'c', opType: 'Constant', domain: '', inputs: [], outputs: ['c'], attributes: [{ name: 'value', type: AttrType.TENSOR, t: { ...makeTensor('', [2], [1, 2]), dims: [3] } }] };
    const bytes = edit((m) => withNodes(m, [c, ...m.graph.nodes]));
    expect(load(bytes)).toThrowError(/raw_data holds 8 bytes, shape \[3\] of FLOAT needs 12/);
  });
});

describe('mutated models (fast-check)', () => {
  // Each mutation of a valid file must import or throw a HubelError: never a RangeError or
  // TypeError from deep inside the decoder, never a hang (vitest's timeout bounds the run).
  const mutations = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('length' as const), at: fc.nat(), value: fc.constantFrom(0x7f, 0xff, 0x80, 0x00, 0x01, 0x10) }),
  );
  it('every bit flip, truncation or length-byte change imports or throws HubelError (fast-check seed 42)', () => {
    fc.assert(
      fc.property(fc.array(mutations, { minLength: 1, maxLength: 4 }), (muts) => {
        let bytes = Uint8Array.from(valid);
        for (const m of muts) {
          const at = m.at % bytes.length;
          if (m.kind === 'flip') bytes[at] ^= 1 << m.bit;
          else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
          else bytes[at] = m.value;
          if (bytes.length === 0) return;
        }
        try {
          importOnnx(bytes, { registry, backend, file: 'mutant.onnx' }).dispose();
        } catch (e) {
          if (!(e instanceof HubelError)) throw new Error(`raw ${(e as Error).name} escaped: ${(e as Error).message}`);
        }
      }),
      { seed: 42, numRuns: 400 },
    );
  });
});
