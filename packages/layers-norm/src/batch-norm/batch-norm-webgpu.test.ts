// WebGPU BatchNormalization with trainingMode and all three outputs bound, against plain loops:
// the layer-case parity suite binds Y only, so the running-statistics outputs and their
// backward terms are checked here.
import { cpuBackend } from '@hubel/backend-cpu';
import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { GraphBuilder, Registry, Rng } from '@hubel/core';
import { BatchNormalization, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();
const registry = new Registry().use(cpuBackend, normLayers);

const SEED = 31;
const [N, C, S] = [3, 2, 4];
const M = N * S;
const eps = 1e-3;
const momentum = 0.7;
const scale = [1.5, -0.5];
const bias = [0.1, 0.2];
const runMean = [0.5, -1];
const runVar = [2, 0.5];

/**
 * float32 with per-channel reductions over M = 12 values of magnitude < 10: each sum carries
 * ≲ M·2⁻²⁴·10 ≈ 7e-6 of rounding, and dividing by √(σ² + ε) ≳ 0.3 at most triples it, so
 * 1e-4 (relative to max(1, |expected|)) leaves a tenfold margin.
 */
const TOL = 1e-4;
const close = (got: ArrayLike<number>, want: readonly number[], what: string) =>
  want.forEach((w, i) => expect(Math.abs(got[i] - w) / Math.max(1, Math.abs(w)), `${what}[${i}] (seed ${SEED}): ${got[i]} vs ${w}`).toBeLessThanOrEqual(TOL));

gpu.describe(describe, 'BatchNormalization on WebGPU, trainingMode with running_mean/running_var bound', (backend) => {
  it(`eval run: Y, running statistics, dx (with running terms), dscale, dB match plain loops (seed ${SEED})`, async () => {
    const r = new Rng(SEED);
    const draw = (n: number) => Array.from({ length: n }, () => r.normal());
    const x = draw(N * C * S).map((v) => 2 * v + 0.5);
    const dy = draw(N * C * S);
    const dRm = draw(C);
    const dRv = draw(C);

    const g = new GraphBuilder({ registry });
    g.node(BatchNormalization, { epsilon: eps, momentum, trainingMode: true }, g.input('x', [N, C, 2, 2]), { name: 'bn', outputs: ['y', 'rm', 'rv'] });
    g.output('y', 'rm', 'rv');
    const model = g.build({ backend, initialValues: { 'bn.scale': scale, 'bn.B': bias, 'bn.input_mean': runMean, 'bn.input_var': runVar } });
    const xt = backend.tensor(x, [N, C, 2, 2]);
    const run = model.forward({ x: xt }, { mode: 'eval', forBackward: true });
    const seeds = { y: backend.tensor(dy, [N, C, 2, 2]), rm: backend.tensor(dRm, [C]), rv: backend.tensor(dRv, [C]) };
    const grads = run.backward({ seeds, inputs: ['x'] });

    // Plain loops: x is [N, C, S] row-major; biased batch variance, ONNX's running blend.
    const at = (i: number, c: number, j: number) => (i * C + c) * S + j;
    const y = new Array<number>(x.length), dx = new Array<number>(x.length);
    const rm: number[] = [], rv: number[] = [], dScale: number[] = [], dB: number[] = [];
    for (let c = 0; c < C; c++) {
      let mu = 0, v = 0, sdy = 0, sdyx = 0;
      for (let i = 0; i < N; i++) for (let j = 0; j < S; j++) mu += x[at(i, c, j)] / M;
      for (let i = 0; i < N; i++) for (let j = 0; j < S; j++) v += (x[at(i, c, j)] - mu) ** 2 / M;
      const rs = 1 / Math.sqrt(v + eps);
      for (let i = 0; i < N; i++) for (let j = 0; j < S; j++) {
        const k = at(i, c, j);
        y[k] = scale[c] * (x[k] - mu) * rs + bias[c];
        sdy += dy[k];
        sdyx += dy[k] * (x[k] - mu) * rs;
      }
      for (let i = 0; i < N; i++) for (let j = 0; j < S; j++) {
        const k = at(i, c, j);
        const xhat = (x[k] - mu) * rs;
        dx[k] = scale[c] * rs * (dy[k] - sdy / M - xhat * sdyx / M) + ((1 - momentum) / M) * (dRm[c] + 2 * (x[k] - mu) * dRv[c]);
      }
      rm.push(runMean[c] * momentum + mu * (1 - momentum));
      rv.push(runVar[c] * momentum + v * (1 - momentum));
      dScale.push(sdyx);
      dB.push(sdy);
    }
    close(await run.get('y').read(), y, 'Y');
    close(await run.get('rm').read(), rm, 'running_mean');
    close(await run.get('rv').read(), rv, 'running_var');
    close(await grads.inputs.get('x')!.read(), dx, 'dx');
    close(await grads.params.get('bn.scale')!.read(), dScale, 'dscale');
    close(await grads.params.get('bn.B')!.read(), dB, 'dB');
    grads.dispose();
    Object.values(seeds).forEach((t) => t.dispose());
    run.dispose();
    xt.dispose();
    model.dispose();
  });
});
