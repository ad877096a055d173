import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, Registry, Rng, Sequential } from '@hubel/core';
import { checkModelGradients, gradcheckPlugin } from '@hubel/core/testing';
import { InstanceNormalization, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, normLayers);

describe('InstanceNormalization: finite differences (float64)', () => {
  gradcheckPlugin({ ...normLayers, cases: normLayers.cases.filter((c) => c.layer === InstanceNormalization) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

function draw(seed: number, n: number, scale = 1, offset = 0): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => offset + scale * r.normal());
}

/** ONNX's InstanceNormalization written out over x viewed as [N, C, S]: statistics per (n, c). */
function reference(x: readonly number[], [n, c, s]: readonly number[], scale: readonly number[], bias: readonly number[], eps: number) {
  const y = new Array<number>(x.length);
  const xhat = new Array<number>(x.length);
  const invStd: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const at = (j: number) => (i * c + ch) * s + j;
      let mean = 0;
      for (let j = 0; j < s; j++) mean += x[at(j)] / s;
      let variance = 0;
      for (let j = 0; j < s; j++) variance += (x[at(j)] - mean) ** 2 / s;
      const r = 1 / Math.sqrt(variance + eps);
      invStd.push(r);
      for (let j = 0; j < s; j++) {
        xhat[at(j)] = (x[at(j)] - mean) * r;
        y[at(j)] = scale[ch] * xhat[at(j)] + bias[ch];
      }
    }
  }
  return { y, xhat, invStd };
}

describe('InstanceNormalization', () => {
  const shape = [2, 3, 2, 3];
  const flat = [2, 3, 6];
  const scale = [1.5, -0.5, 2];
  const bias = [0.1, 0.2, -0.3];
  const eps = 1e-3;
  const build = (dtype: 'float32' | 'float64' = 'float64') =>
    new Sequential([null, 3, 2, 3], { registry }).add(InstanceNormalization, { epsilon: eps }, 'in').build({
      backend: createCpuBackend({ dtype }),
      initialValues: { 'in.scale': scale, 'in.B': bias },
    });

  it('normalizes each sample and channel over its spatial positions, the same in train and eval runs (seed 31)', async () => {
    const model = build();
    // Per-channel offsets and scales that differ between samples: batch statistics would not remove them.
    const x = draw(31, 36, 3, 1).map((v, i) => v * (1 + (i % 7)) + (i < 18 ? 5 : -4));
    const xt = model.backend.tensor(x, shape);
    const { y: want } = reference(x, flat, scale, bias, eps);
    const train = model.forward({ input: xt }, { mode: 'train' });
    const yTrain = Array.from(await train.get('in').read());
    train.dispose();
    const yEval = Array.from(model.predict(xt).readSync());
    // Same float64 formula, summed in another order: ~1e-15 relative; 1e-12 is ample for |y| < 10.
    want.forEach((v, i) => {
      expect(yTrain[i]).toBeCloseTo(v, 12);
      expect(yEval[i]).toBeCloseTo(v, 12);
    });
    xt.dispose();
    model.dispose();
  });

  it('float32 agrees with the float64 reference within float32 rounding (seed 32)', async () => {
    const model = build('float32');
    const x = draw(32, 36, 2);
    const xt = model.backend.tensor(x, shape);
    const y = Array.from(model.predict(xt).readSync());
    // Sums of 6 float32 terms of size < 10 and a division by √(σ² + ε) ≳ 0.3: errors ≲ 1e-5.
    reference(x, flat, scale, bias, eps).y.forEach((v, i) => expect(Math.abs(y[i] - v)).toBeLessThanOrEqual(1e-5));
    xt.dispose();
    model.dispose();
  });

  it('backward matches dx = scale·r·(dy − mean(dy) − x̂·mean(dy·x̂)), dscale = Σ dy·x̂, dB = Σ dy (seed 33)', async () => {
    const model = build();
    const x = draw(33, 36, 2, 0.5);
    const dy = draw(34, 36);
    const xt = model.backend.tensor(x, shape);
    const dyt = model.backend.tensor(dy, shape);
    const run = model.forward({ input: xt }, { mode: 'train', forBackward: true });
    const g = run.backward({ seeds: { in: dyt }, inputs: ['input'] });
    const dx = Array.from(await g.inputs.get('input')!.read());
    const dScale = Array.from(await g.params.get('in.scale')!.read());
    const dB = Array.from(await g.params.get('in.B')!.read());
    const { xhat, invStd } = reference(x, flat, scale, bias, eps);
    const [n, c, s] = flat;
    const wantScale = [0, 0, 0];
    const wantB = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const ks = Array.from({ length: s }, (_, j) => (i * c + ch) * s + j);
        const md = ks.reduce((a, k) => a + dy[k], 0) / s;
        const mdx = ks.reduce((a, k) => a + dy[k] * xhat[k], 0) / s;
        const r = invStd[i * c + ch];
        // float64, other summation order: ~1e-15 absolute at these magnitudes.
        for (const k of ks) expect(dx[k]).toBeCloseTo(scale[ch] * r * (dy[k] - md - xhat[k] * mdx), 12);
        wantScale[ch] += mdx * s;
        wantB[ch] += md * s;
      }
    }
    wantScale.forEach((v, ch) => expect(dScale[ch]).toBeCloseTo(v, 12));
    wantB.forEach((v, ch) => expect(dB[ch]).toBeCloseTo(v, 12));
    g.dispose();
    run.dispose();
    dyt.dispose();
    xt.dispose();
    model.dispose();
  });

  // The plugin cases run with scale = 1 and B = 0 (their initializers); here both are arbitrary.
  // Default tolerance 1e-6 (float64, ε = 1e-6, see GradCheckOptions).
  it('finite differences with non-trivial scale and B: dx, dscale, dB on [2, 3, 2, 3]', async () => {
    const g = new GraphBuilder({ registry });
    g.node(InstanceNormalization, { epsilon: 0.01 }, g.input('x', shape), { name: 'in', outputs: ['y'] });
    g.output('y');
    const model = g.build({ backend: createCpuBackend({ dtype: 'float64' }), initialValues: { 'in.scale': scale, 'in.B': bias } });
    const report = await checkModelGradients(model, { feeds: { x: { shape, values: Float64Array.from(draw(35, 36, 2)) } }, differentiate: ['x'] }, { seed: 35 });
    expect(report.ok, report.summary).toBe(true);
    expect(report.entries.map((e) => e.name).sort()).toEqual(['in.B', 'in.scale', 'x']);
    model.dispose();
  });

  it('an empty spatial extent [2, 3, 0] gives an empty output and zero parameter gradients, not NaN', async () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 3, 0], { registry }).add(InstanceNormalization, undefined, 'in').build({ backend, initialValues: { 'in.scale': scale, 'in.B': bias } });
    const xt = backend.tensor([], [2, 3, 0]);
    const run = model.forward({ input: xt }, { mode: 'train', forBackward: true });
    expect(run.get('in').shape).toEqual([2, 3, 0]);
    const dyt = backend.tensor([], [2, 3, 0]);
    const g = run.backward({ seeds: { in: dyt }, inputs: ['input'] });
    expect(g.inputs.get('input')!.shape).toEqual([2, 3, 0]);
    expect(Array.from(await g.params.get('in.scale')!.read())).toEqual([0, 0, 0]);
    expect(Array.from(await g.params.get('in.B')!.read())).toEqual([0, 0, 0]);
    g.dispose();
    run.dispose();
    dyt.dispose();
    xt.dispose();
    model.dispose();
  });

  it('rejects an input of rank 2 (no spatial axes) and a non-positive epsilon, naming the node', () => {
    expect(() => new Sequential([null, 4], { registry }).add(InstanceNormalization, undefined, 'in2').build({ backend: createCpuBackend() })).toThrowError(
      /node 'in2' \(InstanceNormalization\): expected an input of rank >= 3/,
    );
    expect(() => new Sequential([null, 4, 3], { registry }).add(InstanceNormalization, { epsilon: 0 }, 'in3').build({ backend: createCpuBackend() })).toThrowError(
      /node 'in3' \(InstanceNormalization\): attribute 'epsilon': expected > 0, found 0/,
    );
  });
});
