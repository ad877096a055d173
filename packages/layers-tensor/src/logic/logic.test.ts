import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, Registry, Rng, sizeOf, type Shape } from '@hubel/core';
import { Equal, Greater, Less, Softplus, tensorLayers, Where } from '@hubel/layers-tensor';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, tensorLayers);

function random(shape: Shape, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: sizeOf(shape) }, () => r.normal());
}

interface In { readonly shape: Shape; readonly values: ArrayLike<number>; readonly dtype?: 'int32' }

/** One node on float64 CPU: its output, and with `dy` the input gradients of Σ dy·y. */
async function run(layer: Parameters<GraphBuilder['node']>[0], inputs: In[], dy?: Float64Array) {
  const backend = createCpuBackend({ dtype: 'float64' });
  const g = new GraphBuilder({ registry });
  const names = inputs.map((x, i) => g.input(`x${i}`, x.shape, x.dtype ?? 'float'));
  g.output(g.add(layer, {} as never, names, { name: 'op' }));
  const model = g.build({ backend });
  const feeds = Object.fromEntries(inputs.map((x, i) => [`x${i}`, backend.tensor(x.values, x.shape, x.dtype)]));
  const fwd = model.forward(feeds, dy ? { mode: 'train' } : undefined);
  const y = fwd.get('op');
  const out = { shape: y.shape, dtype: y.dtype, values: Array.from(await y.read()), grads: [] as number[][] };
  if (dy) {
    const bw = fwd.backward({ seeds: { op: backend.tensor(dy, y.shape) }, inputs: names.filter((_, i) => !inputs[i].dtype) });
    for (let i = 0; i < inputs.length; i++) out.grads.push(inputs[i].dtype ? [] : Array.from(await bw.inputs.get(`x${i}`)!.read()));
  }
  return out;
}

describe('comparisons against plain loops', () => {
  it('Less, Greater, Equal of [3, 1] and [1, 4] with ties (seed 11) give int32 0/1 per broadcast pair', async () => {
    const a = random([3, 1], 11);
    // b repeats a[1] so that Equal and the strict comparisons meet a tie.
    const b = Float64Array.of(a[1], 0, -0.5, 2);
    const pairs: [number, number][] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) pairs.push([a[i], b[j]]);
    const ins: In[] = [{ shape: [3, 1], values: a }, { shape: [1, 4], values: b }];
    for (const [layer, f] of [[Less, (p: number, q: number) => p < q], [Greater, (p: number, q: number) => p > q], [Equal, (p: number, q: number) => p === q]] as const) {
      const y = await run(layer, ins);
      expect(y.shape).toEqual([3, 4]);
      expect(y.dtype).toBe('int32');
      expect(y.values, `${layer.type}, seed 11`).toEqual(pairs.map(([p, q]) => (f(p, q) ? 1 : 0)));
    }
    expect((await run(Equal, ins)).values.filter((v) => v === 1).length).toBe(1);
  });

  it('Less with a NaN operand is 0, as in ONNX', async () => {
    const y = await run(Less, [{ shape: [3], values: [NaN, 1, -1] }, { shape: [], values: [0] }]);
    expect(y.values).toEqual([0, 0, 1]);
  });
});

describe('Where against plain loops', () => {
  it('cond [3, 1], X [1, 4], Y [3, 4] (seeds 12, 13, 14): values and the routed, summed gradients', async () => {
    const cond = [1, 0, 1];
    const x = random([1, 4], 12), yv = random([3, 4], 13), dy = random([3, 4], 14);
    const r = await run(Where, [{ shape: [3, 1], values: cond, dtype: 'int32' }, { shape: [1, 4], values: x }, { shape: [3, 4], values: yv }], dy);
    const want: number[] = [], dx = [0, 0, 0, 0], dY: number[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) {
        want.push(cond[i] ? x[j] : yv[i * 4 + j]);
        if (cond[i]) dx[j] += dy[i * 4 + j];
        dY.push(cond[i] ? 0 : dy[i * 4 + j]);
      }
    expect(r.values).toEqual(want);
    // dX sums two float64 products per element, in the same order as the loop above: exact up to 1e-15 round-off.
    r.grads[1].forEach((v, j) => expect(Math.abs(v - dx[j]), `dX[${j}], seeds 12-14`).toBeLessThan(1e-15));
    expect(r.grads[2]).toEqual(dY);
  });
});

describe('Softplus against the formula', () => {
  it('y = ln(1 + eˣ) and dx = dy·σ(x) over moderate x (seed 15), and no overflow at ±1000', async () => {
    const x = Float64Array.from(random([8], 15), (v) => 3 * v);
    const dy = random([8], 16);
    const r = await run(Softplus, [{ shape: [8], values: x }], dy);
    x.forEach((v, i) => {
      // Moderate |x| < 15: the direct formula loses at most a few ulps of ln(1 + eˣ) ≥ 3e-7 in float64, so 1e-13 relative is loose.
      expect(Math.abs(r.values[i] - Math.log(1 + Math.exp(v))), `y[${i}], seed 15`).toBeLessThan(1e-13 * Math.max(1, Math.abs(r.values[i])));
      expect(Math.abs(r.grads[0][i] - dy[i] * Math.exp(v) / (1 + Math.exp(v))), `dx[${i}], seed 16`).toBeLessThan(1e-13);
    });
    const big = await run(Softplus, [{ shape: [3], values: [1000, -1000, -40] }], Float64Array.of(1, 1, 1));
    // ln(1 + e^−40) = e^−40 − e^−80/2 + …, so e^−40 to 1e-15 relative; 1000 + ln(1 + e^−1000) is 1000 exactly in float64.
    expect(big.values[0]).toBe(1000);
    expect(big.values[1]).toBe(0);
    expect(Math.abs(big.values[2] / Math.exp(-40) - 1)).toBeLessThan(1e-15);
    expect(big.grads[0]).toEqual([1, 0, 1 / (1 + Math.exp(40))]);
  });
});
