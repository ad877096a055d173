// One focused test per class of bug that `pnpm fuzz` found in the importer: each of these
// files used to end in a raw TypeError, or in tens of seconds of shape arithmetic, instead of
// a HubelError.
import { createCpuBackend } from '@hubel/backend-cpu';
import { HubelError, Sequential } from '@hubel/core';
import { AttrType, buildModelProto, encodeModel, importOnnx, inspectOnnx, makeTensor, type OnnxModelProto, type OnnxNodeProto } from '@hubel/io';
import { Relu } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { AveragePool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { fuzzRegistry } from './fuzz/target.js';

const registry = fuzzRegistry();
const backend = createCpuBackend();
const load = (bytes: Uint8Array) => () => importOnnx(bytes, { registry, backend, file: 'mutant.onnx' });

/** What `load` throws (fails the test when it returns a model). */
function thrown(bytes: Uint8Array): unknown {
  try {
    load(bytes)().dispose();
  } catch (e) {
    return e;
  }
  throw new Error('expected the import to fail');
}

const withNodes = (m: OnnxModelProto, nodes: readonly OnnxNodeProto[]): OnnxModelProto => ({ ...m, graph: { ...m.graph, nodes } });

async function reluProto(): Promise<OnnxModelProto> {
  const model = new Sequential([null, 3], { registry }).add(Relu, undefined, 'relu1').build({ backend, seed: 1 });
  return buildModelProto(model);
}

describe('fuzz regressions', () => {
  it("a Constant whose 'value' attribute is declared with another type is a HubelError, not a TypeError", async () => {
    const proto = await reluProto();
    // Found as: AttributeProto.type of a Constant's `value` mutated from TENSOR (4) to STRINGS (8).
    for (const attr of [
      { name: 'value', type: AttrType.STRINGS, strings: ['a'] },
      { name: 'value', type: AttrType.FLOATS, floats: [1, 2] },
      { name: 'value_ints', type: AttrType.TENSOR, t: makeTensor('', [2], [1, 2]) },
      { name: 'value_float', type: AttrType.STRING, s: 'x' },
    ]) {
      const c: OnnxNodeProto = { name: 'c', opType: 'Constant', domain: '', inputs: [], outputs: ['c'], attributes: [attr] };
      const bytes = encodeModel(withNodes(proto, [c, ...proto.graph.nodes]));
      const e = thrown(bytes);
      expect(e, attr.name).toBeInstanceOf(HubelError);
      expect((e as HubelError).code).toBe('attribute');
      expect((e as Error).message).toMatch(new RegExp(`node 'c' \\(Constant\\): Constant attribute '${attr.name}' has type \\w+; it must be \\w+`));
    }
    // The right types still import.
    const ok: OnnxNodeProto = { name: 'c', opType: 'Constant', domain: '', inputs: [], outputs: ['c'], attributes: [{ name: 'value_ints', type: AttrType.INTS, ints: [1, 2] }] };
    load(encodeModel(withNodes(proto, [ok, ...proto.graph.nodes])))().dispose();
  });

  it("a Conv node without its weight input is a HubelError naming the node (the layer's fromOnnx read W's shape)", async () => {
    const model = new Sequential([null, 1, 5, 5], { registry }).add(Conv, { outChannels: 2, kernelShape: [3, 3] }, 'conv1').build({ backend, seed: 1 });
    const proto = await buildModelProto(model);
    // Found as: the first `input` record of the zoo's Conv node deleted, so W became the data input.
    for (const inputs of [['input'], ['conv1.W']]) {
      const bytes = encodeModel(withNodes(proto, proto.graph.nodes.map((n) => ({ ...n, inputs }))));
      const e = thrown(bytes);
      expect(e, inputs.join()).toBeInstanceOf(HubelError);
      expect((e as HubelError).code).toBe('graph');
      expect((e as Error).message).toMatch(/^mutant\.onnx: node 'conv1' \(Conv\): Hubel's Conv cannot read this node \(inputs '[^']+', attributes .*\): /);
      expect((e as Error).cause).toBeInstanceOf(TypeError);
    }
  });

  it('a graph input declaring more than MAX_ELEMENTS elements, or a negative dimension, fails fast with a shape error', async () => {
    const model = new Sequential([null, 1, 5, 5], { registry }).add(AveragePool, { kernelShape: [2, 2] }, 'pool1').build({ backend, seed: 1 });
    const proto = await buildModelProto(model);
    const withInputDims = (dims: number[]) => encodeModel({ ...proto, graph: { ...proto.graph, inputs: [{ ...proto.graph.inputs[0], shape: dims }] } });
    // Found as: a dim_value of a conformance AveragePool's input mutated from 5 to 2^31, which took
    // the pool's shape inference 21 s; 10^12 never finished.
    const t0 = performance.now();
    for (const d of [2 ** 31, 1e12, 2 ** 53 - 1]) {
      const e = thrown(withInputDims([1, 1, d, 5]));
      expect(e).toBeInstanceOf(HubelError);
      expect((e as HubelError).code).toBe('shape');
      expect((e as Error).message).toMatch(/^mutant\.onnx: graph input 'input': shape \[1, 1, \d+, 5\] declares more than 2147483647 elements per example$/);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(load(withInputDims([1, 1, -3, 5]))).toThrowError(/graph input 'input': bad dimension -3 in shape \[1, 1, -3, 5\]/);
    // inspect still describes such a file (it only prints the shape).
    expect(inspectOnnx(withInputDims([1, 1, 2 ** 31, 5]), 'mutant.onnx')).toMatch(/input: FLOAT \[1, 1, 2147483648, 5\]/);
    load(withInputDims([1, 1, 6, 6]))().dispose();
  });

  it("a node whose corrupt attributes make its output claim more than MAX_ELEMENTS elements stops there, before the next layer's shape arithmetic", async () => {
    const model = new Sequential([null, 1, 8, 8], { registry })
      .add(Conv, { outChannels: 2, kernelShape: [3, 3], pads: [0, 0, 0, 0] }, 'conv1')
      .add(AveragePool, { kernelShape: [2, 2] }, 'pool1')
      .build({ backend, seed: 1 });
    const proto = await buildModelProto(model);
    // Found as: one of AlexNet's conv1 pads mutated from 0 to 2^31 - 1; the conv's output then
    // had 10^11 elements and the pool's shape inference walked every window of it for seconds.
    const t0 = performance.now();
    for (const pad of [2 ** 31 - 1, 2 ** 40]) {
      const conv = proto.graph.nodes.map((n) => (n.name === 'conv1' ? { ...n, attributes: n.attributes.map((a) => (a.name === 'pads' ? { ...a, ints: [0, 0, pad, 0] } : a)) } : n));
      expect(conv.find((n) => n.name === 'conv1')!.attributes.some((a) => a.name === 'pads')).toBe(true);
      const e = thrown(encodeModel(withNodes(proto, conv)));
      expect(e).toBeInstanceOf(HubelError);
      expect((e as HubelError).code).toBe('shape');
      expect((e as Error).message).toMatch(/^mutant\.onnx: node 'conv1' \(Conv\): the output shape \[1, 2, \d+, \d+\] has more than 2147483647 elements per example \(input shapes: \[1, 1, 8, 8\]/);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
