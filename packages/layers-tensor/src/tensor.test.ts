import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, HubelError, Registry, Rng, sizeOf, type Shape } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { Add, Concat, MatMul, Pow, ReduceMax, ReduceMean, ReduceSum, Reshape, tensorLayers, Transpose } from '@hubel/layers-tensor';
import { describe, expect, it } from 'vitest';

describe('tensor layers: finite differences (float64)', () => {
  gradcheckPlugin(tensorLayers, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

const registry = new Registry().use(cpuBackend, tensorLayers);

function random(shape: Shape, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: sizeOf(shape) }, () => r.normal());
}

/** Runs one node on float64 CPU and returns its output. */
async function run(layer: Parameters<GraphBuilder['node']>[0], attrs: Record<string, unknown>, inputs: { shape: Shape; values: Float64Array }[]): Promise<{ shape: Shape; values: Float64Array }> {
  const backend = createCpuBackend({ dtype: 'float64' });
  const g = new GraphBuilder({ registry });
  const names = inputs.map((x, i) => g.input(`x${i}`, x.shape));
  g.output(g.add(layer, attrs as never, names, { name: 'op' }));
  const model = g.build({ backend });
  const feeds = Object.fromEntries(inputs.map((x, i) => [`x${i}`, backend.tensor(x.values, x.shape)]));
  const y = model.forward(feeds).take('op');
  return { shape: y.shape, values: (await y.read()) as Float64Array };
}

/** Row-major strides of a shape. */
const strides = (s: Shape) => s.map((_, i) => sizeOf(s.slice(i + 1)));

describe('broadcasting and layout, against plain loops', () => {
  it('Add [3, 1, 2] + [1, 4, 1] (seed 1, 2) equals the nested-loop broadcast', async () => {
    const a = random([3, 1, 2], 1), b = random([1, 4, 1], 2);
    const y = await run(Add, {}, [{ shape: [3, 1, 2], values: a }, { shape: [1, 4, 1], values: b }]);
    expect(y.shape).toEqual([3, 4, 2]);
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 2; k++) want.push(a[i * 2 + k] + b[j]);
    expect(Array.from(y.values)).toEqual(want);
  });

  it('Pow broadcasts a scalar exponent: y = a^2.5 (seed 3)', async () => {
    const a = random([2, 3], 3).map(Math.abs);
    const y = await run(Pow, {}, [{ shape: [2, 3], values: a }, { shape: [], values: Float64Array.of(2.5) }]);
    expect(Array.from(y.values)).toEqual(Array.from(a, (v) => v ** 2.5));
  });

  it('MatMul [2, 1, 3, 4]·[3, 4, 2] equals a triple loop with batch broadcasting (seed 4, 5)', async () => {
    const a = random([2, 1, 3, 4], 4), b = random([3, 4, 2], 5);
    const y = await run(MatMul, {}, [{ shape: [2, 1, 3, 4], values: a }, { shape: [3, 4, 2], values: b }]);
    expect(y.shape).toEqual([2, 3, 3, 2]);
    for (let p = 0; p < 2; p++)
      for (let q = 0; q < 3; q++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 2; j++) {
            let s = 0;
            for (let k = 0; k < 4; k++) s += a[p * 12 + i * 4 + k] * b[q * 8 + k * 2 + j];
            // Both sum the same four products; the GEMM may order them differently: 1e-12 covers float64 round-off.
            expect(Math.abs(y.values[((p * 3 + q) * 3 + i) * 2 + j] - s)).toBeLessThan(1e-12);
          }
  });

  it('Transpose perm [1, 2, 0] moves element (i, j, k) to (j, k, i) (seed 6)', async () => {
    const x = random([2, 3, 4], 6);
    const y = await run(Transpose, { perm: [1, 2, 0] }, [{ shape: [2, 3, 4], values: x }]);
    expect(y.shape).toEqual([3, 4, 2]);
    const [s0, s1, s2] = strides([3, 4, 2]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(y.values[j * s0 + k * s1 + i * s2]).toBe(x[i * 12 + j * 4 + k]);
  });

  it('Concat axis 1 interleaves the rows of both inputs (seed 7, 8)', async () => {
    const a = random([2, 2], 7), b = random([2, 3], 8);
    const y = await run(Concat, { axis: 1 }, [{ shape: [2, 2], values: a }, { shape: [2, 3], values: b }]);
    expect(Array.from(y.values)).toEqual([a[0], a[1], b[0], b[1], b[2], a[2], a[3], b[3], b[4], b[5]]);
  });

  it('ReduceMean and ReduceMax over axis 1 equal plain loops (seed 9)', async () => {
    const x = random([2, 3, 2], 9);
    const mean = await run(ReduceMean, { axes: [1], keepdims: false }, [{ shape: [2, 3, 2], values: x }]);
    const max = await run(ReduceMax, { axes: [1] }, [{ shape: [2, 3, 2], values: x }]);
    expect(max.shape).toEqual([2, 1, 2]);
    for (let i = 0; i < 2; i++)
      for (let k = 0; k < 2; k++) {
        const col = [0, 1, 2].map((j) => x[i * 6 + j * 2 + k]);
        expect(Math.abs(mean.values[i * 2 + k] - (col[0] + col[1] + col[2]) / 3)).toBeLessThan(1e-15);
        expect(max.values[i * 2 + k]).toBe(Math.max(...col));
      }
  });

  it('Reshape copies an axis for 0 and infers −1', async () => {
    const y = await run(Reshape, { shape: [0, -1, 2] }, [{ shape: [2, 3, 4], values: random([2, 3, 4], 10) }]);
    expect(y.shape).toEqual([2, 6, 2]);
  });
});

describe('zero-size (empty) tensors', () => {
  const empty = (shape: Shape) => ({ shape, values: new Float64Array(0) });

  it('ReduceSum over an empty axis is the empty sum, 0, in every kept position (keepdims)', async () => {
    // ONNX: [2, 0, 4] summed over axis 1 is [2, 1, 4] of zeros.
    const y = await run(ReduceSum, { axes: [1] }, [empty([2, 0, 4])]);
    expect(y.shape).toEqual([2, 1, 4]);
    expect(Array.from(y.values)).toEqual(new Array(8).fill(0));
    const flat = await run(ReduceSum, { axes: [1], keepdims: false }, [empty([2, 0, 4])]);
    expect(flat.shape).toEqual([2, 4]);
    expect(Array.from(flat.values)).toEqual(new Array(8).fill(0));
  });

  it('ReduceSum over a non-empty axis of an empty tensor stays empty', async () => {
    const y = await run(ReduceSum, { axes: [2] }, [empty([2, 0, 4])]);
    expect(y.shape).toEqual([2, 0, 1]);
    expect(y.values.length).toBe(0);
  });

  it('Reshape with allowzero reads 0 as an empty axis; without it 0 copies the input axis', async () => {
    const y = await run(Reshape, { shape: [3, 4, 0], allowzero: true }, [empty([0, 3, 4])]);
    expect(y.shape).toEqual([3, 4, 0]);
    expect(y.values.length).toBe(0);
    // Shapes are checked when the graph is built.
    const build = (attrs: Record<string, unknown>, shape: Shape) => () => {
      const g = new GraphBuilder({ registry });
      g.output(g.add(Reshape, attrs as never, g.input('x', shape), { name: 'op' }));
      g.build({ backend: createCpuBackend() });
    };
    // allowzero on a non-empty input: 0 is a real zero, so [2, 3] cannot become [0, 6].
    expect(build({ shape: [0, 6], allowzero: true }, [2, 3])).toThrowError(/cannot reshape \[2, 3\] \(6 elements\) to \[0, 6\] \(0 elements\)/);
    // Without allowzero the trailing 0 copies axis 2 (4): [3, 4, 4] holds 48 elements, not 0.
    expect(build({ shape: [3, 4, 0] }, [0, 3, 4])).toThrowError(/cannot reshape \[0, 3, 4\] \(0 elements\) to \[3, 4, 0\] \(48 elements\)/);
  });
});

describe('bad shapes and attributes', () => {
  const backend = createCpuBackend();
  const build = (layer: Parameters<GraphBuilder['node']>[0], attrs: Record<string, unknown>, shapes: Shape[]) => () => {
    const g = new GraphBuilder({ registry });
    const names = shapes.map((s, i) => g.input(`x${i}`, s));
    g.output(g.add(layer, attrs as never, names, { name: 'op' }));
    g.build({ backend });
  };
  it('Add of non-broadcastable shapes names the node and both shapes', () => {
    expect(build(Add, {}, [[2, 3], [4]])).toThrowError(/node 'op' \(Add\): shapes \[2, 3\] and \[4\] do not broadcast/);
  });
  it('MatMul with mismatched inner dimensions says which', () => {
    expect(build(MatMul, {}, [[2, 3], [4, 5]])).toThrowError(/inner dimensions differ.*\(3 vs 4\)/);
  });
  it('Reshape to an incompatible size is a shape error', () => {
    expect(build(Reshape, { shape: [5, -1] }, [[2, 3]])).toThrowError(HubelError);
    expect(build(Reshape, { shape: [5, -1] }, [[2, 3]])).toThrowError(/cannot reshape \[2, 3\]/);
  });
  it('Transpose with a non-permutation is rejected', () => {
    expect(build(Transpose, { perm: [0, 0] }, [[2, 3]])).toThrowError(/perm \[0, 0\] is not a permutation/);
  });
});
