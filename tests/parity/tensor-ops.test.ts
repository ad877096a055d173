// The WebGPU paths of @hubel/layers-tensor that its own cases do not reach, run through
// `parityPlugin` against CPU float32: broadcasts no index pattern expresses (the operand is
// expanded first), MatMul batches that alternate between the operands' repeats, ReduceMax over
// non-adjacent axes (permuted before the window block), and sizes past one workgroup. Then
// Pow, Max and Min on special values against Math.pow/max/min.
import { createCpuBackend } from '@hubel/backend-cpu';
import { gpuBackendOrSkip, parityPlugin } from '@hubel/backend-webgpu/testing';
import { GraphBuilder, Registry, defineCases, definePlugin, type Backend } from '@hubel/core';
import { Add, Div, MatMul, Max, Min, Mul, Pow, ReduceMax, ReduceSum, Sub } from '@hubel/layers-tensor';
import { describe, expect, it } from 'vitest';
import { layerPlugins } from './plugins.js';

const tensorPaths = definePlugin({
  name: 'parity-tensor-paths',
  cases: [
    ...defineCases(Add, [{ name: '[2, 1, 3, 1, 2] + [2, 4, 3, 5, 2] (A needs an expanded copy)', inputs: [[2, 1, 3, 1, 2], [2, 4, 3, 5, 2]] }]),
    ...defineCases(Mul, [{ name: '[2, 4, 3, 5] ⊙ [2, 1, 3, 1] (B expanded; dB sums two alternating axes)', inputs: [[2, 4, 3, 5], [2, 1, 3, 1]] }]),
    ...defineCases(Sub, [{ name: 'scalar − [3, 301] (903 elements, not a multiple of 256)', inputs: [[], [3, 301]] }]),
    ...defineCases(Div, [{ name: '[5, 1] / [1, 7] (divisor in [0.5, 1.5))', inputs: [[5, 1], { shape: [1, 7], values: 'positive' }] }]),
    ...defineCases(MatMul, [
      { name: 'alternating batch repeats [2, 1, 3, 3, 4]·[1, 5, 3, 4, 2] (operands expanded)', inputs: [[2, 1, 3, 3, 4], [1, 5, 3, 4, 2]] },
      { name: '[70, 131]·[131, 67] (past one 64×64 tile, k not a multiple of 16)', inputs: [[70, 131], [131, 67]] },
      { name: '[3, 4]·[2, 4, 5] (A repeated over the batch)', inputs: [[3, 4], [2, 4, 5]] },
    ]),
    ...defineCases(ReduceMax, [
      { name: 'non-adjacent axes [0, 2] of [3, 4, 5] (permuted first)', attrs: { axes: [0, 2] }, inputs: [[3, 4, 5]], kink: 1e-3 },
      { name: 'axes [1, 3] of [2, 3, 2, 4] no keepdims', attrs: { axes: [1, 3], keepdims: false }, inputs: [[2, 3, 2, 4]], kink: 1e-3 },
    ]),
    ...defineCases(ReduceSum, [{ name: 'rows of 257 (workgroup-per-output reduction)', attrs: { axes: [1] }, inputs: [[3, 257]] }]),
  ],
});

const gpu = await gpuBackendOrSkip();
const cpu = createCpuBackend();

gpu.describe(describe, '@hubel/layers-tensor paths beyond its cases: CPU float32 vs WebGPU', (backend) => {
  parityPlugin(tensorPaths, { test: it, backend: () => backend, reference: () => cpu, with: layerPlugins });
});

const registry = new Registry().use(...layerPlugins);

/** One binary node's forward output on `backend`. */
async function binary(layer: typeof Pow, a: number[], b: number[], backend: Backend): Promise<Float32Array> {
  const g = new GraphBuilder({ registry });
  g.output(g.add(layer, {}, [g.input('a', [a.length]), g.input('b', [b.length])], { name: 'y' })[0]);
  const model = g.build({ backend });
  const run = model.forward({ a: backend.tensor(a, [a.length]), b: backend.tensor(b, [b.length]) });
  const y = Float32Array.from(await run.take('y').read());
  model.dispose();
  return y;
}

gpu.describe(describe, '@hubel/layers-tensor special values on WebGPU', (backend) => {
  it('Pow: negative bases with integer exponents, 0 to any power, NaN for a negative base and a fractional exponent', async () => {
    const base = [-2, -2, -0.5, -3, 0, 0, 0, 2, -1.5, 4, 0.5];
    const exp = [3, 2, -2, 0, 2, 0, -1, -2, 0.5, 0.5, 10];
    const got = await binary(Pow, base, exp, backend);
    for (let i = 0; i < base.length; i++) {
      const want = Math.pow(base[i], exp[i]);
      // WGSL's pow is exp2(y·log2|x|): a few ULP of relative error for |y·log2|x|| ≤ 10, within 1e-5.
      if (Number.isNaN(want)) expect(got[i], `${base[i]}^${exp[i]}`).toBeNaN();
      else if (!Number.isFinite(want)) expect(got[i], `${base[i]}^${exp[i]}`).toBe(want);
      else expect(Math.abs(got[i] - want), `${base[i]}^${exp[i]}: ${got[i]} vs ${want}`).toBeLessThanOrEqual(1e-5 * Math.abs(want));
    }
  });

  it('Max and Min propagate NaN from either side and equal Math.max/min elsewhere', async () => {
    const a = [NaN, 1, 2, -3, 0.5];
    const b = [1, NaN, 2, 4, -0.5];
    for (const [layer, f] of [[Max, Math.max], [Min, Math.min]] as const) {
      const got = await binary(layer, a, b, backend);
      a.forEach((v, i) => expect(got[i], `${layer.type}(${v}, ${b[i]})`).toEqual(f(v, b[i])));
    }
  });
});
