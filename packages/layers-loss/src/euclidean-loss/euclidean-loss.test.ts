import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, HubelError, Registry, Rng, type OnnxFunctionBody } from '@hubel/core';
import { EuclideanLoss, lossLayers } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, lossLayers);

function draw(seed: number, n: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.normal());
}

/** Loss, ∂C/∂x and ∂C/∂t with the executor's default seed (ones of the loss's shape []). */
async function lossAndGrads(attrs: { reduction?: 'mean' | 'sum' } | undefined, x: number[], t: number[], shape: number[]) {
  const backend = createCpuBackend({ dtype: 'float64' });
  const g = new GraphBuilder({ registry });
  g.output(g.add(EuclideanLoss, attrs, [g.input('x', [null, ...shape.slice(1)]), g.input('t', [null, ...shape.slice(1)])], { name: 'loss' }));
  const model = g.build({ backend });
  const run = model.forward({ x: backend.tensor(x, shape), t: backend.tensor(t, shape) }, { mode: 'train' });
  const loss = run.get('loss');
  const value = (await loss.read())[0];
  const grads = run.backward({ inputs: ['x', 't'] });
  const dx = Array.from(await grads.inputs.get('x')!.read());
  const dt = Array.from(await grads.inputs.get('t')!.read());
  return { shape: loss.shape, value, dx, dt };
}

describe('EuclideanLoss', () => {
  it('mean: C = ½Σ(x − t)²/N, ∂C/∂x = (x − t)/N, ∂C/∂t = −(x − t)/N, output rank 0 (seed 41)', async () => {
    const [n, f] = [4, 3];
    const x = draw(41, n * f);
    const t = draw(42, n * f);
    const { shape, value, dx, dt } = await lossAndGrads(undefined, x, t, [n, f]);
    expect(shape).toEqual([]);
    let sq = 0;
    for (let i = 0; i < x.length; i++) sq += (x[i] - t[i]) ** 2;
    // 12 squared terms summed in the same order: at most a few ulps apart.
    expect(Math.abs(value - (0.5 * sq) / n)).toBeLessThan(1e-14);
    x.forEach((v, i) => {
      expect(Math.abs(dx[i] - (v - t[i]) / n), `dx[${i}]`).toBeLessThan(1e-15);
      expect(Math.abs(dt[i] + (v - t[i]) / n), `dt[${i}]`).toBeLessThan(1e-15);
    });
  });

  it('sum on NCHW [2, 2, 2, 2]: C = ½Σ(x − t)², ∂C/∂x = x − t (seed 43)', async () => {
    const shape = [2, 2, 2, 2];
    const x = draw(43, 16);
    const t = draw(44, 16);
    const { value, dx } = await lossAndGrads({ reduction: 'sum' }, x, t, shape);
    const sq = x.reduce((s, v, i) => s + (v - t[i]) ** 2, 0);
    expect(Math.abs(value - 0.5 * sq)).toBeLessThan(1e-14);
    expect(dx).toEqual(x.map((v, i) => v - t[i]));
  });

  it('rejects X and T of different shapes, naming the node and both shapes', () => {
    const g = new GraphBuilder({ registry });
    g.output(g.add(EuclideanLoss, undefined, [g.input('x', [null, 3]), g.input('t', [null, 4])], { name: 'cost' }));
    expect(() => g.build({ backend: createCpuBackend() })).toThrowError(HubelError);
    expect(() => g.build({ backend: createCpuBackend() })).toThrowError(
      /node 'cost' \(ai\.hubel\.EuclideanLoss\): predictions X and targets T must have the same shape, found X \[1, 3\] and T \[1, 4\]/,
    );
  });

  it("rejects an unknown reduction, listing 'mean' and 'sum'", () => {
    expect(() => EuclideanLoss.resolve({ reduction: 'none' } as never, "node 'cost'")).toThrowError(/node 'cost': attribute 'reduction': expected one of 'mean', 'sum', found 'none'/);
  });

  // The ONNX function body, run by a tiny interpreter of the standard ops it uses (semantics
  // from the ONNX operator spec), must give the kernel's value for both reductions.
  for (const reduction of ['mean', 'sum'] as const) {
    it(`ONNX function body (${reduction}) evaluates to ½Σ(x − t)²${reduction === 'mean' ? '/N' : ''} (seed 45)`, async () => {
      const shape = [3, 2, 2];
      const x = draw(45, 12);
      const t = draw(46, 12);
      const body = EuclideanLoss.onnx!.functionBody!({ reduction });
      const y = interpret(body, { X: { dims: shape, data: x }, T: { dims: shape, data: t } }).Y;
      const { value } = await lossAndGrads({ reduction }, x, t, shape);
      expect(y.dims).toEqual([]);
      expect(Math.abs(y.data[0] - value)).toBeLessThan(1e-14); // same sum, possibly another order
    });
  }
});

interface Value {
  dims: number[];
  data: number[];
}

/** Just enough ONNX semantics for the function body: elementwise ops on equal shapes or a scalar. */
function interpret(body: OnnxFunctionBody, feeds: Record<string, Value>): Record<string, Value> {
  const env = new Map(Object.entries(feeds));
  const get = (name: string) => {
    const v = env.get(name);
    if (!v) throw new Error(`function body reads '${name}' before it is defined`);
    return v;
  };
  const binary = (a: Value, b: Value, f: (p: number, q: number) => number): Value => {
    const big = a.data.length >= b.data.length ? a : b;
    const at = (v: Value, i: number) => (v.data.length === 1 ? v.data[0] : v.data[i]);
    return { dims: big.dims, data: big.data.map((_, i) => f(at(a, i), at(b, i))) };
  };
  for (const node of body.nodes) {
    const ins = node.inputs.map(get);
    const attrs = (node.attrs ?? {}) as Record<string, any>;
    let out: Value;
    switch (node.opType) {
      case 'Sub': out = binary(ins[0], ins[1], (p, q) => p - q); break;
      case 'Mul': out = binary(ins[0], ins[1], (p, q) => p * q); break;
      case 'Div': out = binary(ins[0], ins[1], (p, q) => p / q); break;
      case 'ReduceSum':
        expect(ins.length, 'ReduceSum without axes reduces everything').toBe(1);
        expect(attrs.keepdims).toBe(0);
        out = { dims: [], data: [ins[0].data.reduce((s, v) => s + v, 0)] };
        break;
      case 'Constant': {
        const tensor = attrs.value.tensor;
        out = { dims: [...tensor.dims], data: [...(tensor.floats ?? tensor.int64s)] };
        break;
      }
      case 'Shape': out = { dims: [ins[0].dims.length], data: [...ins[0].dims] }; break;
      case 'Gather':
        expect(attrs.axis).toBe(0);
        out = { dims: [], data: [ins[0].data[ins[1].data[0]]] };
        break;
      case 'Cast':
        expect(attrs.to).toBe(1); // FLOAT
        out = ins[0];
        break;
      default:
        throw new Error(`interpreter: unexpected op ${node.opType}`);
    }
    env.set(node.outputs[0], out);
  }
  return Object.fromEntries(body.outputs.map((o) => [o, get(o)]));
}
