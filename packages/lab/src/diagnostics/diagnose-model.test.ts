import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, Rng, type Backend, type Model } from '@hubel/core';
import { UnitAccumulator, diagnoseModel, formatDiagnostics, type LayerDiagnostics } from '@hubel/lab';
import { lenet5, zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';

const registry = zooRegistry();
const seed = 21;

/** LeNet-5 with ReLU (conv, ReLU, max pool, flatten, dense layers) and 7 random images. */
function fixture(backend: Backend = createCpuBackend()): { model: Model; data: ArrayDataset } {
  const model = lenet5({ activation: 'relu', registry }).build({ backend, seed });
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: 7 * 28 * 28 }, () => rng.uniform());
  const data = new ArrayDataset(x, [1, 28, 28], new Int32Array(7), [], 10);
  return { model, data };
}

/** Every value of one forward over all images, read from the run directly (no hooks). */
async function directValues(model: Model, data: ArrayDataset): Promise<Map<string, { values: Float32Array; shape: readonly number[] }>> {
  const { x, y } = data.batch(Int32Array.from({ length: data.length }, (_, i) => i), model.backend);
  y.dispose();
  const run = model.forward({ input: x }, { mode: 'eval' });
  const out = new Map<string, { values: Float32Array; shape: readonly number[] }>();
  for (const node of model.nodes) {
    const t = run.get(node.outputs[0]);
    out.set(node.outputs[0], { values: (await t.read()) as Float32Array, shape: t.shape });
  }
  run.dispose();
  x.dispose();
  return out;
}

function expectSame(a: LayerDiagnostics, b: LayerDiagnostics, what: string): void {
  expect([a.node, a.value, a.op, a.units, a.images, a.deadUnits, a.rectified], what).toEqual([b.node, b.value, b.op, b.units, b.images, b.deadUnits, b.rectified]);
  for (const k of ['sparsity', 'meanAbsCorrelation', 'mean', 'std', 'min', 'max'] as const) {
    if (Number.isNaN(b[k])) expect(a[k], `${what}: ${k}`).toBeNaN();
    else expect(a[k], `${what}: ${k}`).toBeCloseTo(b[k], 9);
  }
}

describe('diagnoseModel', () => {
  it(`LeNet-5 (ReLU), 7 images in batches of 3: every node output's statistics equal those of its values read from one direct forward (seed ${seed})`, async () => {
    const { model, data } = fixture();
    const d = await diagnoseModel(model, data, { batchSize: 3 });
    expect(d.images).toBe(7);
    expect(d.layers.map((l) => l.value)).toEqual(model.nodes.map((n) => n.outputs[0]));
    const direct = await directValues(model, data);
    for (const l of d.layers) {
      const { values, shape } = direct.get(l.value)!;
      const acc = new UnitAccumulator(shape.slice(1));
      acc.add(values, shape[0]);
      expectSame(l, acc.result({ node: l.node, value: l.value, op: l.op }), `seed ${seed}, ${l.value}`);
      // Sparsity and dead units straight from the values.
      const inactive = Array.from(values).filter((v) => !(v > 0)).length;
      expect(l.sparsity, `${l.value} sparsity`).toBeCloseTo(inactive / values.length, 12);
    }
    const conv = d.layers.find((l) => l.value === 'c1')!;
    const relu = d.layers.find((l) => l.value === 'act1')!;
    expect([conv.rectified, relu.rectified]).toEqual([false, true]);
    // A ReLU zeroes exactly what was ≤ 0 before it.
    expect(relu.sparsity).toBeCloseTo(conv.sparsity, 12);
    expect(relu.dead).toEqual(conv.dead);
    model.dispose();
  });

  it('a Tensor input, and a backend without synchronous reads (outputs copied, read asynchronously), give the same numbers; nothing leaks', async () => {
    const { model, data } = fixture();
    const ref = await diagnoseModel(model, data, { batchSize: 7 });
    const live = model.backend.stats().liveTensors;
    const { x, y } = data.batch(Int32Array.from({ length: 7 }, (_, i) => i), model.backend);
    y.dispose();
    const fromTensor = await diagnoseModel(model, x, {});
    x.dispose();
    expect(model.backend.stats().liveTensors, 'tensors after the Tensor run').toBe(live);
    ref.layers.forEach((l, i) => expectSame(fromTensor.layers[i], l, `tensor input, ${l.value}`));

    const asyncBackend = createCpuBackend();
    Object.defineProperty(asyncBackend, 'peekSync', { value: undefined });
    const other = fixture(asyncBackend);
    const before = asyncBackend.stats().liveTensors;
    const viaCopies = await diagnoseModel(other.model, other.data, { batchSize: 3 });
    expect(asyncBackend.stats().liveTensors, 'tensors after the copying run').toBe(before);
    const sync = await diagnoseModel(model, data, { batchSize: 3 });
    sync.layers.forEach((l, i) => expectSame(viaCopies.layers[i], l, `async reads, ${l.value}`));
    model.dispose();
    other.model.dispose();
  });

  it('`nodes` selects outputs; repeated calls tap each node once; the hooks stay quiet between calls', async () => {
    const { model, data } = fixture();
    const d = await diagnoseModel(model, data, { nodes: ['act3', 'f6'], limit: 4 });
    expect(d.layers.map((l) => l.value)).toEqual(['act3', 'f6']);
    expect(d.images).toBe(4);
    await diagnoseModel(model, data, { nodes: ['act3'] });
    expect(model.hooks.forward.for('act3').taps.length).toBe(1);
    // A plain forward afterwards runs with the taps inactive.
    expect(() => model.predict(data.batch([0], model.backend).x).dispose()).not.toThrow();
    expect(formatDiagnostics(d)).toMatch(/^output\s+op\s+shape\s+units\s+sparsity\s+dead\s+mean \|r\|\s+mean\s+std\nact3\s+Relu\s+16×10×10\s+16\s/);
    model.dispose();
  });

  it('bad input: unknown node (lists the nodes), limit 0, batch size 0, no images', async () => {
    const { model, data } = fixture();
    await expect(diagnoseModel(model, data, { nodes: ['nope'] })).rejects.toThrowError(/no node named 'nope' \(nodes: c1, act1, s2/);
    await expect(diagnoseModel(model, data, { limit: 0 })).rejects.toThrowError(/limit must be a positive integer, found 0/);
    await expect(diagnoseModel(model, data, { batchSize: 0 })).rejects.toThrowError(/batchSize must be a positive integer/);
    const empty = new ArrayDataset(new Float32Array(0), [1, 28, 28], new Int32Array(0), [], 10);
    await expect(diagnoseModel(model, empty)).rejects.toThrowError(/no images to evaluate/);
    model.dispose();
  });
});
