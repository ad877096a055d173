// gradientCheck's per-tensor report against a backward made wrong by hand: a layer y = x ⊙ w
// whose dW carries an extra +1 in every entry. Its relative error is then known exactly:
// |a − n| / max(|a|, |n|, 1) = 1 / max(|n + 1|, |n|, 1) ∈ [1/(|n| + 1), 1], far above any
// threshold, while every other tensor (input included) stays at float64 round-off.
import { createCpuBackend } from '@hubel/backend-cpu';
import { attr, defineKernel, defineLayer, definePlugin, Sequential } from '@hubel/core';
import { zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';
import { formatGradientCheck, gradientCheck } from '@hubel/lab';

/** y = x ⊙ w, w one weight per feature of a [N, F] input. */
const Scale = defineLayer({
  domain: 'com.example.test',
  type: 'Scale',
  attrs: { offset: attr.float({ default: 0, doc: 'added to every entry of dW: 0 is the true gradient' }) },
  params: (_a, [x]) => ({ w: { shape: [x[1]], init: { kind: 'constant', value: 1.5 } } }),
  inferShapes: (_a, [x]) => [[...x]],
});

const scaleCpu = defineKernel(Scale, 'cpu', {
  forward({ backend, inputs: [x], params: { w } }) {
    const y = backend.alloc(x.shape);
    const xs = backend.data(x), ws = backend.data(w), ys = backend.data(y);
    for (let i = 0; i < xs.length; i++) ys[i] = xs[i] * ws[i % ws.length];
    return { outputs: [y] };
  },
  backward({ backend, attrs: { offset }, inputs: [x], params: { w }, dOutputs: [dy] }) {
    const xs = backend.data(x), ws = backend.data(w), d = backend.data(dy);
    const dx = backend.alloc(x.shape);
    const dW = backend.zeros(w.shape);
    const o = backend.data(dx), ow = backend.data(dW);
    for (let i = 0; i < xs.length; i++) {
      o[i] = d[i] * ws[i % ws.length];
      ow[i % ws.length] += d[i] * xs[i];
    }
    for (let j = 0; j < ow.length; j++) ow[j] += offset;
    return { dInputs: [dx], dParams: { w: dW } };
  },
});

const testLayers = definePlugin({ name: 'lab-check-test-scale', layers: [Scale], kernels: [scaleCpu] });

function model(offset: number, dtype: 'float32' | 'float64' = 'float64') {
  const registry = zooRegistry().use(testLayers);
  const gemm = registry.layer('', 'Gemm');
  const relu = registry.layer('', 'Relu');
  return new Sequential([null, 6], { registry })
    .add(gemm, { outFeatures: 5 }, 'fc1')
    .add(Scale, { offset }, 'scale')
    .add(relu, {}, 'relu')
    .add(gemm, { outFeatures: 3 }, 'fc2')
    .build({ backend: createCpuBackend({ dtype }), seed: 3 });
}

describe('gradientCheck', () => {
  it('a correct backward: one ok line per tensor, the input first, errors at float64 round-off', async () => {
    const r = await gradientCheck(model(0), { batch: 3 });
    expect(r.ok, formatGradientCheck(r)).toBe(true);
    expect(r.tensors.map((t) => t.name)).toEqual(['input', 'fc1.W', 'fc1.B', 'scale.w', 'fc2.W', 'fc2.B']);
    expect(r.tensors.map((t) => t.kind)).toEqual(['input', 'parameter', 'parameter', 'parameter', 'parameter', 'parameter']);
    expect(r.tensors.find((t) => t.name === 'scale.w')!.shape).toEqual([5]);
    for (const t of r.tensors) {
      expect(t.worst, t.name).toBeLessThan(1e-7);
      expect(t.checked, t.name).toBeGreaterThan(0);
      expect(t.checked + t.skipped, t.name).toBe(t.size);
    }
  });

  it('dW off by +1: that tensor alone fails, with the worst error 1/max(|numeric + 1|, |numeric|, 1)', async () => {
    const r = await gradientCheck(model(1), { batch: 3 });
    expect(r.ok).toBe(false);
    const bad = r.tensors.filter((t) => !t.ok);
    expect(bad.map((t) => t.name)).toEqual(['scale.w']);
    const t = bad[0];
    expect(t.at).toBeDefined();
    const { analytic, numeric } = t.at!;
    expect(analytic - numeric).toBeCloseTo(1, 6);
    expect(t.worst).toBeCloseTo(1 / Math.max(Math.abs(analytic), Math.abs(numeric), 1), 6);
    expect(t.worst).toBeGreaterThan(0.1);
    for (const other of r.tensors.filter((x) => x.name !== 'scale.w')) expect(other.worst, other.name).toBeLessThan(1e-7);
    const text = formatGradientCheck(r);
    expect(text).toMatch(/^ {2}scale\.w .* FAIL /m);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^gradients: FAILED: scale\.w \(/);
  });

  it('samples at most maxPerTensor scalars per tensor', async () => {
    const r = await gradientCheck(model(0), { batch: 2, maxPerTensor: 4 });
    for (const t of r.tensors) expect(t.checked + t.skipped, t.name).toBeLessThanOrEqual(5);
  });

  it('leaves batch norm\'s running statistics as they were after its train-mode passes', async () => {
    const registry = zooRegistry();
    const m = new Sequential([null, 6], { registry })
      .add(registry.layer('', 'Gemm'), { outFeatures: 4 }, 'fc')
      .add(registry.layer('', 'BatchNormalization'), {}, 'bn')
      .build({ backend: createCpuBackend({ dtype: 'float64' }), seed: 2 });
    const before = [await m.node('bn').params.input_mean.read(), await m.node('bn').params.input_var.read()];
    const r = await gradientCheck(m, { batch: 4 });
    expect(r.ok, formatGradientCheck(r)).toBe(true);
    expect([await m.node('bn').params.input_mean.read(), await m.node('bn').params.input_var.read()]).toEqual(before);
  });

  it('refuses a float32 model, and a check estimated over maxSeconds', async () => {
    await expect(gradientCheck(model(0, 'float32'))).rejects.toThrow(/float32 backend; finite differences need float64/);
    await expect(gradientCheck(model(0), { maxSeconds: 1e-9 })).rejects.toThrow(/too large for finite differences/);
  });
});
