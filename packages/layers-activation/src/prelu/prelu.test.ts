import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { activationLayers, PRelu } from '@hubel/layers-activation';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, activationLayers);

function draw(seed: number, n: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.normal());
}

describe('PRelu', () => {
  it('declares slopes [C, 1, 1] for NCHW, [C] for [N, C], [1] when shared, all starting at 0.25', async () => {
    const backend = createCpuBackend();
    const shapes: [readonly (number | null)[], boolean, number[]][] = [
      [[null, 3, 4, 5], false, [3, 1, 1]],
      [[null, 6], false, [6]],
      [[null, 3, 4, 5], true, [1]],
    ];
    for (const [input, channelShared, want] of shapes) {
      const model = new Sequential(input, { registry }).add(PRelu, { channelShared }, 'p').build({ backend });
      const slope = model.params().find((p) => p.key === 'p.slope')!;
      expect(slope.tensor.shape).toEqual(want);
      expect(Array.from(await slope.tensor.read())).toEqual(new Array(want.reduce((a, b) => a * b, 1)).fill(0.25));
      model.dispose();
    }
  });

  it('per channel on NCHW: y = x or a_c·x, dx and da_c = Σ_{x<0} dy·x as plain loops (seed 19)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const [n, c, h, w] = [2, 3, 2, 3];
    const slopes = [0.1, -0.5, 2];
    const model = new Sequential([null, c, h, w], { registry }).add(PRelu, undefined, 'p').build({ backend, initialValues: { 'p.slope': slopes } });
    const x = draw(19, n * c * h * w);
    const dy = draw(20, x.length);
    const run = model.forward({ input: backend.tensor(x, [n, c, h, w]) }, { mode: 'train' });
    const y = Array.from(await run.get('p').read());
    const g = run.backward({ seeds: { p: backend.tensor(dy, [n, c, h, w]) }, inputs: ['input'] });
    const dx = Array.from(await g.inputs.get('input')!.read());
    const da = Array.from(await g.params.get('p.slope')!.read());
    const wantY: number[] = [], wantDx: number[] = [], wantDa = [0, 0, 0];
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++)
        for (let k = 0; k < h * w; k++) {
          const i = (b * c + ch) * h * w + k;
          wantY.push(x[i] >= 0 ? x[i] : slopes[ch] * x[i]);
          wantDx.push(x[i] > 0 ? dy[i] : slopes[ch] * dy[i]);
          if (x[i] < 0) wantDa[ch] += dy[i] * x[i];
        }
    expect(y).toEqual(wantY);
    expect(dx).toEqual(wantDx);
    // Sums of 12 products in a different order: rounding differs by at most ~12 ulps of the terms.
    da.forEach((v, i) => expect(Math.abs(v - wantDa[i]), `channel ${i}`).toBeLessThan(1e-13));
    g.dispose();
    run.dispose();
  });

  it('shared: one slope for every element of [3, 4] (seed 23)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const model = new Sequential([null, 4], { registry }).add(PRelu, { channelShared: true }, 'p').build({ backend, initialValues: { 'p.slope': [0.7] } });
    const x = draw(23, 12);
    const y = Array.from(await model.predict(backend.tensor(x, [3, 4])).read());
    expect(y).toEqual(x.map((v) => (v >= 0 ? v : 0.7 * v)));
  });

  it('rejects per-channel slopes on a rank-1 input, naming the node and the fix', () => {
    expect(() => new Sequential([5], { registry }).add(PRelu, undefined, 'p').build({ backend: createCpuBackend() })).toThrowError(
      /node 'p' \(PRelu\): per-channel slopes need an input \[N, C, \.\.\.\] of rank >= 2, found rank 1; set channelShared: true/,
    );
  });

  it('rejects a slope of the wrong shape given as an initial value', () => {
    expect(() => new Sequential([null, 3, 2, 2], { registry }).add(PRelu, undefined, 'p').build({ backend: createCpuBackend(), initialValues: { 'p.slope': [1, 2] } })).toThrowError(
      HubelError,
    );
  });

  it('imports from ONNX: a one-element slope means shared, [C, 1, 1] means per channel', () => {
    const fromOnnx = PRelu.onnx!.fromOnnx!;
    expect(fromOnnx({}, [[1]], [[2, 3, 4, 4]])).toEqual({ channelShared: true });
    expect(fromOnnx({}, [[3, 1, 1]], [[2, 3, 4, 4]])).toEqual({ channelShared: false });
    expect(fromOnnx({}, [[1, 1, 1]], [[2, 1, 4, 4]])).toEqual({ channelShared: false });
    expect(PRelu.onnx!.attrs!({ channelShared: true, slopeShape: undefined })).toEqual({});
  });
});

describe('PRelu: general slopeShape (ONNX broadcast)', () => {
  it('slopeShape [W] on [N, H, W]: y, dx and da_w = Σ_{x<0} dy·x as plain loops (seed 23)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const [n, h, w] = [2, 3, 4];
    const slopes = [0.1, -0.5, 2, 0.3];
    const model = new Sequential([null, h, w], { registry }).add(PRelu, { slopeShape: [w] }, 'p').build({ backend, initialValues: { 'p.slope': slopes } });
    const x = draw(23, n * h * w);
    const dy = draw(24, x.length);
    const run = model.forward({ input: backend.tensor(x, [n, h, w]) }, { mode: 'train' });
    const y = Array.from(await run.get('p').read());
    const g = run.backward({ seeds: { p: backend.tensor(dy, [n, h, w]) }, inputs: ['input'] });
    const dx = Array.from(await g.inputs.get('input')!.read());
    const da = Array.from(await g.params.get('p.slope')!.read());
    const wantDa = [0, 0, 0, 0];
    x.forEach((v, i) => {
      const a = slopes[i % w]; // the last axis picks the slope
      // Exact: one product per element in float64.
      expect(y[i], `y[${i}] (seed 23)`).toBe(v >= 0 ? v : a * v);
      expect(dx[i], `dx[${i}] (seed 24)`).toBe(v > 0 ? dy[i] : a * dy[i]);
      if (v < 0) wantDa[i % w] += dy[i] * v;
    });
    // Six float64 products summed per slope, in the same order: a few ulps of values < 20.
    da.forEach((v, k) => expect(Math.abs(v - wantDa[k]), `da[${k}]`).toBeLessThan(1e-13));
    g.dispose();
    run.dispose();
    model.dispose();
  });

  it('rejects a slopeShape that does not broadcast to the input, naming the node', () => {
    const backend = createCpuBackend();
    expect(() => new Sequential([null, 3, 4], { registry }).add(PRelu, { slopeShape: [3] }, 'p').build({ backend })).toThrowError(/node 'p' \(PRelu\): attribute 'slopeShape' \[3\] does not broadcast to the input \[1, 3, 4\]/);
  });
});
