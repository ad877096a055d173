import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, HubelError, Registry, Rng } from '@hubel/core';
import { lossLayers, NegativeLogLikelihoodLoss } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, lossLayers);
const backend = createCpuBackend({ dtype: 'float64' });
type Attrs = { reduction?: 'mean' | 'sum' | 'none'; ignoreIndex?: number };

async function run(attrs: Attrs, x: number[], xShape: number[], labels: number[], weights?: number[]) {
  const tShape = [xShape[0], ...xShape.slice(2)];
  const g = new GraphBuilder({ registry });
  const ins = [g.input('x', xShape), g.input('t', tShape, 'int32')];
  if (weights) ins.push(g.input('w', [xShape[1]]));
  g.output(g.add(NegativeLogLikelihoodLoss, attrs, ins, { name: 'loss' }));
  const model = g.build({ backend });
  const r = model.forward({ x: backend.tensor(x, xShape), t: backend.tensor(labels, tShape, 'int32'), ...(weights ? { w: backend.tensor(weights, [xShape[1]]) } : {}) }, { mode: 'train' });
  const y = r.get('loss');
  const value = Array.from(await y.read());
  const grads = r.backward({ seeds: { loss: backend.tensor(value.map(() => 1), y.shape) }, inputs: ['x'] });
  const dx = Array.from(await grads.inputs.get('x')!.read());
  grads.dispose();
  r.dispose();
  model.dispose();
  return { value, shape: y.shape, dx };
}

const draw = (seed: number, n: number) => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.normal());
};

// Every value below is a sum of ≤ 12 products of float64 numbers: 1e-12 absolute is ample.
const TOL = 1e-12;

describe('NegativeLogLikelihoodLoss', () => {
  it('mean over [N, C, D] with weights and an out-of-range ignoreIndex: −Σ W[l]·x[n, l, d] / Σ W[l] (seed 81)', async () => {
    const x = draw(81, 2 * 3 * 2);
    const labels = [2, -5, 0, 2]; // positions (n, d) of X [2, 3, 2]
    const w = [0.5, 1, 3];
    const { value, dx } = await run({ ignoreIndex: -5 }, x, [2, 3, 2], labels, w);
    const at = (n: number, c: number, d: number) => (n * 3 + c) * 2 + d;
    const terms = [
      [0, 0, 2],
      [1, 0, 0],
      [1, 1, 2],
    ];
    const denom = terms.reduce((a, [, , l]) => a + w[l], 0);
    const want = terms.reduce((a, [n, d, l]) => a - w[l] * x[at(n, l, d)], 0) / denom;
    expect(Math.abs(value[0] - want)).toBeLessThan(TOL);
    const wantDx = new Array<number>(12).fill(0);
    for (const [n, d, l] of terms) wantDx[at(n, l, d)] = -w[l] / denom;
    dx.forEach((v, i) => expect(Math.abs(v - wantDx[i]), `dx[${i}]`).toBeLessThan(TOL));
  });

  it("'none' gives −x[n, label] per sample with shape [N]; 'sum' adds them (seed 83)", async () => {
    const x = draw(83, 8);
    const labels = [3, 0];
    const none = await run({ reduction: 'none' }, x, [2, 4], labels);
    expect(none.shape).toEqual([2]);
    expect(none.value).toEqual([-x[3], -x[4]]);
    const sum = await run({ reduction: 'sum' }, x, [2, 4], labels);
    expect(Math.abs(sum.value[0] + x[3] + x[4])).toBeLessThan(TOL);
  });

  it('a label outside [0, C) that is not ignoreIndex names the node, the label and its position', async () => {
    await expect(run({}, draw(85, 6), [2, 3], [0, 3])).rejects.toThrowError(HubelError);
    await expect(run({}, draw(85, 6), [2, 3], [0, 3])).rejects.toThrowError(/node 'loss' \(NegativeLogLikelihoodLoss\): label 3 at T\[1\] is outside \[0, 3\)/);
  });

  it('maps to ONNX attributes reduction and ignore_index', () => {
    expect(NegativeLogLikelihoodLoss.onnx!.attrs!(NegativeLogLikelihoodLoss.resolve({ reduction: 'none', ignoreIndex: -1 }))).toEqual({ reduction: 'none', ignore_index: -1 });
  });
});
