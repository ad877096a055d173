// A frozen Gabor bank as a first layer: exported as ordinary initializers (so ONNX Runtime runs
// the file and agrees with Hubel) with the frozen keys in `hubel.frozen`; imported back, the
// same parameters are frozen and the outputs and gradients are identical.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng, Sequential, sizeOf, type Model } from '@hubel/core';
import { FROZEN_KEY, decodeModel, encodeModel, exportOnnx, importOnnx, readTensor } from '@hubel/io';
import { Relu } from '@hubel/layers-activation';
import { Conv, gaborBank } from '@hubel/layers-conv';
import { Flatten, Linear } from '@hubel/layers-dense';
import { MaxPool } from '@hubel/layers-pool';
import { describe, expect, it } from 'vitest';
import { ORT_TOLERANCE, fullRegistry, runModel, runOrt, scaledError, type HostValue } from './helpers.js';

const registry = fullRegistry();
const seed = 31;

/** 3×20×20 → frozen Gabor conv 9×9 (4 orientations × 2 scales × 2 phases) → ReLU → max pool → 5 scores. */
function build(): Model {
  return new Sequential([null, 3, 20, 20], { registry })
    .add(Conv, { outChannels: 16, kernelShape: [9, 9], pads: [4, 4, 4, 4], init: 'gabor', gaborOrientations: 4, gaborScales: 2, gaborPhases: [0, Math.PI / 2], bias: false }, { name: 's1', frozen: true })
    .add(Relu, undefined, 'relu1')
    .add(MaxPool, { kernelShape: [4, 4], strides: [4, 4] }, 'c1')
    .add(Flatten, undefined, 'flat')
    .add(Linear, { outFeatures: 5 }, 'fc')
    .build({ backend: createCpuBackend(), seed });
}

function input(): Record<string, HostValue> {
  const r = new Rng(seed);
  const shape = [2, 3, 20, 20];
  return { input: { shape, values: Float64Array.from({ length: sizeOf(shape) }, () => r.normal()), dtype: 'float' } };
}

describe('a frozen Gabor first layer in ONNX', () => {
  it(`is written as initializers and listed in ${FROZEN_KEY}; ONNX Runtime's output matches Hubel's (seed ${seed})`, async () => {
    const model = build();
    const bytes = await exportOnnx(model);
    const proto = decodeModel(bytes, 'gabor.onnx');
    expect(JSON.parse(proto.metadata[FROZEN_KEY])).toEqual(['s1.W']);
    const W = proto.graph.initializers.find((t) => t.name === 's1.W');
    expect(W?.dims).toEqual([16, 3, 9, 9]);
    // The initializer holds the bank: filter o on each of the 3 channels, divided by √3.
    const values = readTensor(W!, 's1.W').values;
    const bank = gaborBank({ size: 9, orientations: 4, scales: 2, phases: [0, Math.PI / 2] });
    let worst = 0;
    for (let o = 0; o < 16; o++) for (let c = 0; c < 3; c++) for (let i = 0; i < 81; i++) worst = Math.max(worst, Math.abs(values[(o * 3 + c) * 81 + i] - bank.filters[o * 81 + i] / Math.sqrt(3)));
    expect(worst).toBeLessThan(1e-7); // float32 rounding of values ≤ 1
    const feeds = input();
    const ours = await runModel(model, feeds, { mode: 'eval', seed, backward: false });
    const theirs = await runOrt(bytes, feeds);
    // Longest reductions: 3·81-term convolutions and 80-term dot products in float32; the suite's
    // documented bound (helpers.ts) covers them.
    const err = scaledError(ours.outputs.fc, theirs.fc.values);
    expect(err, `scaled error ${err}`).toBeLessThanOrEqual(ORT_TOLERANCE);
    model.dispose();
  });

  it('export → import keeps s1.W frozen, with identical outputs and gradients (none for s1.W), and re-exports the key', async () => {
    const model = build();
    const copy = importOnnx(await exportOnnx(model), { registry, backend: model.backend, file: 'gabor.onnx' });
    expect(copy.frozenParams()).toEqual(['s1.W']);
    expect(copy.params().map((p) => [p.key, p.trainable])).toEqual([['s1.W', false], ['fc.W', true], ['fc.B', true]]);
    expect(copy.metadata[FROZEN_KEY]).toBeUndefined(); // the nodes hold it now
    const feeds = input();
    const a = await runModel(model, feeds, { mode: 'train', seed, backward: true });
    const b = await runModel(copy, feeds, { mode: 'train', seed, backward: true });
    expect(Object.keys(b.grads).sort()).toEqual(['fc.B', 'fc.W', 'input:input']);
    expect(Object.keys(a.grads).sort()).toEqual(Object.keys(b.grads).sort());
    for (const k of Object.keys(a.outputs)) expect(Array.from(b.outputs[k]), `output ${k}`).toEqual(Array.from(a.outputs[k]));
    for (const k of Object.keys(a.grads)) expect(Array.from(b.grads[k]), `gradient ${k}`).toEqual(Array.from(a.grads[k]));
    expect(JSON.parse(decodeModel(await exportOnnx(copy), 'again.onnx').metadata[FROZEN_KEY])).toEqual(['s1.W']);
    model.dispose();
  });

  it(`a malformed ${FROZEN_KEY} entry is a format error naming the file; keys of no parameter are ignored`, async () => {
    const model = build();
    const proto = decodeModel(await exportOnnx(model), 'gabor.onnx');
    const bad = encodeModel({ ...proto, metadata: { ...proto.metadata, [FROZEN_KEY]: '{"s1.W": true}' } });
    expect(() => importOnnx(bad, { registry, backend: model.backend, file: 'bad.onnx' })).toThrow(/bad\.onnx: metadata_props 'hubel\.frozen' must be a JSON array of parameter keys/);
    const stale = encodeModel({ ...proto, metadata: { ...proto.metadata, [FROZEN_KEY]: '["s1.W", "gone.W"]' } });
    expect(importOnnx(stale, { registry, backend: model.backend, file: 'stale.onnx' }).frozenParams()).toEqual(['s1.W']);
    model.dispose();
  });
});
