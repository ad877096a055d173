// WebGPU InstanceNormalization with arbitrary scale and B against plain loops: the layer-case
// parity suite runs with the parameters' initial values (scale 1, B 0), so the per-channel
// parameter reads and their gradients are checked here.
import { cpuBackend } from '@hubel/backend-cpu';
import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { GraphBuilder, Registry, Rng } from '@hubel/core';
import { InstanceNormalization, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();
const registry = new Registry().use(cpuBackend, normLayers);

const SEED = 37;
const [N, C, S] = [2, 3, 6];
const SHAPE = [N, C, 2, 3];
const eps = 1e-3;
const scale = [1.5, -0.5, 2];
const bias = [0.1, 0.2, -0.3];

/**
 * float32 with per-row reductions over S = 6 values of magnitude < 10 and sums over N·S = 12
 * for the parameter gradients: each sum carries ≲ 12·2⁻²⁴·10 ≈ 7e-6 of rounding, and
 * dividing by √(σ² + ε) ≳ 0.3 at most triples it, so 1e-4 (relative to max(1, |expected|))
 * leaves a tenfold margin.
 */
const TOL = 1e-4;
const close = (got: ArrayLike<number>, want: readonly number[], what: string) =>
  want.forEach((w, i) => expect(Math.abs(got[i] - w) / Math.max(1, Math.abs(w)), `${what}[${i}] (seed ${SEED}): ${got[i]} vs ${w}`).toBeLessThanOrEqual(TOL));

gpu.describe(describe, 'InstanceNormalization on WebGPU with non-trivial scale and B', (backend) => {
  it(`Y, dx, dscale, dB match plain loops (seed ${SEED})`, async () => {
    const r = new Rng(SEED);
    const draw = (n: number) => Array.from({ length: n }, () => r.normal());
    // Rows with different offsets and spreads, so per-row statistics matter.
    const x = draw(N * C * S).map((v, i) => v * (1 + Math.floor(i / S)) + Math.floor(i / S) - 2);
    const dy = draw(N * C * S);

    const g = new GraphBuilder({ registry });
    g.node(InstanceNormalization, { epsilon: eps }, g.input('x', SHAPE), { name: 'in', outputs: ['y'] });
    g.output('y');
    const model = g.build({ backend, initialValues: { 'in.scale': scale, 'in.B': bias } });
    const xt = backend.tensor(x, SHAPE);
    const dyt = backend.tensor(dy, SHAPE);
    const run = model.forward({ x: xt }, { mode: 'train', forBackward: true });
    const grads = run.backward({ seeds: { y: dyt }, inputs: ['x'] });

    // Plain loops over rows (n, c) of S values: biased variance, x̂ = (x − μ)/√(σ² + ε).
    const y = new Array<number>(x.length), dx = new Array<number>(x.length);
    const dScale = [0, 0, 0], dB = [0, 0, 0];
    for (let row = 0; row < N * C; row++) {
      const c = row % C;
      const ks = Array.from({ length: S }, (_, j) => row * S + j);
      const mu = ks.reduce((a, k) => a + x[k], 0) / S;
      const rs = 1 / Math.sqrt(ks.reduce((a, k) => a + (x[k] - mu) ** 2, 0) / S + eps);
      const xhat = (k: number) => (x[k] - mu) * rs;
      const sdy = ks.reduce((a, k) => a + dy[k], 0);
      const sdyx = ks.reduce((a, k) => a + dy[k] * xhat(k), 0);
      for (const k of ks) {
        y[k] = scale[c] * xhat(k) + bias[c];
        dx[k] = scale[c] * rs * (dy[k] - sdy / S - (xhat(k) * sdyx) / S);
      }
      dScale[c] += sdyx;
      dB[c] += sdy;
    }
    close(await run.get('y').read(), y, 'Y');
    close(await grads.inputs.get('x')!.read(), dx, 'dx');
    close(await grads.params.get('in.scale')!.read(), dScale, 'dscale');
    close(await grads.params.get('in.B')!.read(), dB, 'dB');
    grads.dispose();
    run.dispose();
    dyt.dispose();
    xt.dispose();
    model.dispose();
  });

  it('an empty spatial extent [2, 3, 0] gives an empty output and zero parameter gradients, not NaN', async () => {
    const g = new GraphBuilder({ registry });
    g.node(InstanceNormalization, {}, g.input('x', [2, 3, 0]), { name: 'in', outputs: ['y'] });
    g.output('y');
    const model = g.build({ backend, initialValues: { 'in.scale': scale, 'in.B': bias } });
    const xt = backend.tensor([], [2, 3, 0]);
    const dyt = backend.tensor([], [2, 3, 0]);
    const run = model.forward({ x: xt }, { mode: 'train', forBackward: true });
    expect(run.get('y').shape).toEqual([2, 3, 0]);
    const grads = run.backward({ seeds: { y: dyt }, inputs: ['x'] });
    expect(Array.from(await grads.params.get('in.scale')!.read())).toEqual([0, 0, 0]);
    expect(Array.from(await grads.params.get('in.B')!.read())).toEqual([0, 0, 0]);
    grads.dispose();
    run.dispose();
    dyt.dispose();
    xt.dispose();
    model.dispose();
  });
});
