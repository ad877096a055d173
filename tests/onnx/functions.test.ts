// Layers ONNX lacks export as ai.hubel nodes with model-local function bodies: ONNX Runtime
// must run them, also when one op appears with different attributes (function overloads).
import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng, Sequential, sizeOf } from '@hubel/core';
import { decodeModel, exportOnnx, importOnnx, saveOnnx } from '@hubel/io';
import { SumPool } from '@hubel/layers-pool';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullRegistry, runModel, runOrt, scaledError } from './helpers.js';

const registry = fullRegistry();

describe('custom-domain layers', () => {
  it('two SumPool nodes with different windows become two function overloads that ONNX Runtime runs (seed 5)', async () => {
    const model = new Sequential([null, 2, 8, 8], { registry })
      .add(SumPool, { kernelShape: [2, 2], strides: [2, 2] }, 'sum1')
      .add(SumPool, { kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, 'sum2')
      .build({ backend: createCpuBackend(), seed: 5 });
    const bytes = await exportOnnx(model);
    const proto = decodeModel(bytes);
    expect(proto.functions.map((f) => [f.domain, f.name, f.overload])).toEqual([
      ['ai.hubel', 'SumPool', 'v0'],
      ['ai.hubel', 'SumPool', 'v1'],
    ]);
    expect(proto.opsets).toContainEqual({ domain: 'ai.hubel', version: expect.any(Number) });
    const r = new Rng(5);
    const feeds = { input: { shape: [2, 2, 8, 8], values: Float64Array.from({ length: sizeOf([2, 2, 8, 8]) }, () => r.normal()), dtype: 'float' as const } };
    const ours = await runModel(model, feeds, { mode: 'eval', seed: 5, backward: false });
    const theirs = await runOrt(bytes, feeds);
    // Sums of 4 then 9 float32 terms of size ≲ 10: round-off ~1e-6 of the scale, far under 1e-4.
    expect(scaledError(ours.outputs.sum2, theirs.sum2.values)).toBeLessThanOrEqual(1e-4);
    const copy = importOnnx(bytes, { registry, backend: model.backend });
    expect(copy.nodes.map((n) => [n.name, n.attrs.kernelShape])).toEqual([
      ['sum1', [2, 2]],
      ['sum2', [3, 3]],
    ]);
  });

  it('saveOnnx writes the file atomically and leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubel-io-'));
    const model = new Sequential([null, 1, 4, 4], { registry }).add(SumPool, { kernelShape: [2, 2] }, 'sum').build({ backend: createCpuBackend() });
    await saveOnnx(join(dir, 'm.onnx'), model);
    expect(readdirSync(dir)).toEqual(['m.onnx']);
    expect(Array.from(readFileSync(join(dir, 'm.onnx')))).toEqual(Array.from(await exportOnnx(model)));
    await expect(saveOnnx(join(dir, 'missing-dir', 'm.onnx'), model)).rejects.toThrowError(/cannot write '.*missing-dir\/m\.onnx'/);
    expect(readdirSync(dir)).toEqual(['m.onnx']);
  });
});

describe('ops wider than their layer', () => {
  it('a 3-input ONNX Concat imports as a chain and matches ONNX Runtime (seed 8)', async () => {
    const { AttrType, encodeModel, makeTensor } = await import('@hubel/io');
    const vi = (name: string, shape: number[]) => ({ name, kind: 'tensor' as const, elemType: 1, shape });
    const bytes = encodeModel({
      irVersion: 8, producerName: 'test', producerVersion: '', opsets: [{ domain: '', version: 13 }], metadata: {}, functions: [],
      graph: {
        name: 'g',
        nodes: [{ name: 'cat', opType: 'Concat', domain: '', inputs: ['a', 'b', 'c'], outputs: ['y'], attributes: [{ name: 'axis', type: AttrType.INT, i: 1 }] }],
        initializers: [makeTensor('c', [2, 1], [5, 6])],
        inputs: [vi('a', [2, 2]), vi('b', [2, 3])],
        outputs: [vi('y', [2, 6])],
        valueInfo: [],
      },
    });
    const backend = createCpuBackend();
    const model = importOnnx(bytes, { registry, backend });
    expect(model.nodes.map((n) => n.layer.type).sort()).toEqual(['Concat', 'Concat', 'Constant']);
    const r = new Rng(8);
    const feeds = {
      a: { shape: [2, 2], values: Float64Array.from({ length: 4 }, () => r.normal()), dtype: 'float' as const },
      b: { shape: [2, 3], values: Float64Array.from({ length: 6 }, () => r.normal()), dtype: 'float' as const },
    };
    const ours = await runModel(model, feeds, { mode: 'eval', seed: 8, backward: false });
    const theirs = await runOrt(bytes, feeds);
    // Pure copies: exact.
    expect(Array.from(ours.outputs.y)).toEqual(Array.from(theirs.y.values));
  });
});
