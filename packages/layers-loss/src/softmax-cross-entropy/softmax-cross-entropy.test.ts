import { createCpuBackend, cpuBackend, type CpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, HubelError, Registry, Rng } from '@hubel/core';
import { lossLayers, SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, lossLayers);
type Attrs = { reduction?: 'mean' | 'sum'; ignoreIndex?: number; labelSmoothing?: number };

function build(backend: CpuBackend, attrs: Attrs | undefined, xShape: number[], tShape: number[], tDType: 'int32' | 'float' = 'int32') {
  const g = new GraphBuilder({ registry });
  const x = g.input('x', [null, ...xShape.slice(1)]);
  const t = g.input('t', [null, ...tShape.slice(1)], tDType);
  g.output(g.add(SoftmaxCrossEntropy, attrs, [x, t], { name: 'loss' }));
  return g.build({ backend });
}

/** Loss and ∂C/∂x with the executor's default seed (ones of the loss's shape []). */
async function lossAndGrad(attrs: Attrs | undefined, x: number[], xShape: number[], labels: number[], tShape: number[], backend = createCpuBackend({ dtype: 'float64' })) {
  const model = build(backend, attrs, xShape, tShape);
  const run = model.forward({ x: backend.tensor(x, xShape), t: backend.tensor(labels, tShape, 'int32') }, { mode: 'train' });
  const value = (await run.get('loss').read())[0];
  const grads = run.backward({ inputs: ['x'] });
  const dx = Array.from(await grads.inputs.get('x')!.read());
  grads.dispose();
  run.dispose();
  return { value, dx };
}

function draw(seed: number, n: number, scale = 1): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => scale * r.normal());
}

function labelsFor(seed: number, n: number, classes: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.int(classes));
}

/**
 * The reference, written the plain way: for each position (n, d) of X viewed as [N, C, D],
 * p = exp(x)/Σexp(x) without any shift (fine for |x| ≲ 10), loss −Σ q_c log p_c with
 * q = (1 − ε)·onehot + ε/C, gradient (p − q)/count.
 */
function reference(x: number[], [n, c, ...rest]: number[], labels: number[], o: { eps?: number; ignore?: number; sum?: boolean } = {}) {
  const d = rest.reduce((a, b) => a * b, 1);
  const eps = o.eps ?? 0;
  let total = 0;
  let count = 0;
  const grad = new Array<number>(x.length).fill(0);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < d; k++) {
      const label = labels[b * d + k];
      if (label === o.ignore) continue;
      count++;
      const idx = (cls: number) => (b * c + cls) * d + k;
      let z = 0;
      for (let cls = 0; cls < c; cls++) z += Math.exp(x[idx(cls)]);
      for (let cls = 0; cls < c; cls++) {
        const p = Math.exp(x[idx(cls)]) / z;
        const q = (cls === label ? 1 - eps : 0) + eps / c;
        total -= q * Math.log(p);
        grad[idx(cls)] = p - q;
      }
    }
  const scale = o.sum ? 1 : 1 / count;
  return { value: total * scale, grad: grad.map((g) => g * scale) };
}

// Unshifted exponentials of |x| ≲ 8 vs the kernel's max-shifted ones: each p differs by a few
// ulps, logs by a few ulps of |log p| ≲ 20, summed over ≤ 40 terms: 1e-12 absolute is ample.
const TOL = 1e-12;

function expectClose(actual: number[], expected: number[], tol: number, what: string) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]), `${what}[${i}]: ${v} vs ${expected[i]}`).toBeLessThan(tol));
}

describe('SoftmaxCrossEntropy', () => {
  it('mean over [5, 4]: C = mean −log softmax[label], ∂C/∂x = (softmax − onehot)/N (seed 51)', async () => {
    const x = draw(51, 20, 2);
    const labels = labelsFor(52, 5, 4);
    const { value, dx } = await lossAndGrad(undefined, x, [5, 4], labels, [5]);
    const want = reference(x, [5, 4], labels);
    expect(Math.abs(value - want.value)).toBeLessThan(TOL);
    expectClose(dx, want.grad, TOL, 'dx');
  });

  it('sum over [3, 6] (seed 53)', async () => {
    const x = draw(53, 18, 2);
    const labels = labelsFor(54, 3, 6);
    const { value, dx } = await lossAndGrad({ reduction: 'sum' }, x, [3, 6], labels, [3]);
    const want = reference(x, [3, 6], labels, { sum: true });
    expect(Math.abs(value - want.value)).toBeLessThan(TOL);
    expectClose(dx, want.grad, TOL, 'dx');
  });

  it('label smoothing 0.1 on [4, 5]: target (1 − ε)·onehot + ε/C (seed 55)', async () => {
    const x = draw(55, 20, 2);
    const labels = labelsFor(56, 4, 5);
    const { value, dx } = await lossAndGrad({ labelSmoothing: 0.1 }, x, [4, 5], labels, [4]);
    const want = reference(x, [4, 5], labels, { eps: 0.1 });
    expect(Math.abs(value - want.value)).toBeLessThan(TOL);
    expectClose(dx, want.grad, TOL, 'dx');
    // Smoothing raises the loss of confident predictions: it must differ from ε = 0.
    expect(Math.abs(value - reference(x, [4, 5], labels).value)).toBeGreaterThan(1e-3);
  });

  it('per pixel, X [2, 3, 2, 2] with labels [2, 2, 2]: mean over all N·H·W = 8 positions (seed 57)', async () => {
    const x = draw(57, 24, 2);
    const labels = labelsFor(58, 8, 3);
    const { value, dx } = await lossAndGrad(undefined, x, [2, 3, 2, 2], labels, [2, 2, 2]);
    const want = reference(x, [2, 3, 2, 2], labels);
    expect(Math.abs(value - want.value)).toBeLessThan(TOL);
    expectClose(dx, want.grad, TOL, 'dx');
  });

  it('ignoreIndex: ignored positions add no loss and no gradient; the mean is over the rest (seed 59)', async () => {
    const x = draw(59, 24, 2);
    const labels = [2, -100, 0, -100, 1, 3];
    const { value, dx } = await lossAndGrad({ ignoreIndex: -100 }, x, [6, 4], labels, [6]);
    const want = reference(x, [6, 4], labels, { ignore: -100 });
    expect(Math.abs(value - want.value)).toBeLessThan(TOL);
    expectClose(dx, want.grad, TOL, 'dx');
    expect(dx.slice(4, 8)).toEqual([0, 0, 0, 0]);
  });

  it('ignoreIndex on every position gives loss 0 and zero gradient, not 0/0', async () => {
    const { value, dx } = await lossAndGrad({ ignoreIndex: 1 }, draw(60, 6), [2, 3], [1, 1], [2]);
    expect(value).toBe(0);
    expect(dx).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('is numerically stable for logits ~1e4 in float32 (no NaN/Inf), matching the shifted logits', async () => {
    const x = [1e4, 1e4 - 1, 1e4 - 3, -1e4, -1e4 + 2, -1e4];
    const labels = [1, 0];
    const { value, dx } = await lossAndGrad(undefined, x, [2, 3], labels, [2], createCpuBackend());
    expect(Number.isFinite(value)).toBe(true);
    dx.forEach((v) => expect(Number.isFinite(v)).toBe(true));
    // Softmax is shift invariant: the same loss as logits [0, −1, −3] and [0, 2, 0] in float64.
    const want = reference([0, -1, -3, 0, 2, 0], [2, 3], labels);
    // float32 storage: x − max is exact here (integers < 2^24), the rest rounds at ~6e-8 relative.
    expect(Math.abs(value - want.value)).toBeLessThan(1e-6);
    expectClose(dx, want.grad, 1e-6, 'dx');
  });

  describe('bad input', () => {
    const backend = createCpuBackend();
    const forward = (attrs: Attrs | undefined, labels: number[]) => () =>
      build(backend, attrs, [3, 5], [3]).forward({ x: backend.tensor(draw(61, 15), [3, 5]), t: backend.tensor(labels, [3], 'int32') });

    it('a label ≥ C names the node, the value, its position and the class count', () => {
      expect(forward(undefined, [0, 5, 1])).toThrowError(HubelError);
      expect(forward(undefined, [0, 5, 1])).toThrowError(/node 'loss' \(SoftmaxCrossEntropyLoss\): label 5 at T\[1\] is outside \[0, 5\) — X \[3, 5\] has 5 classes/);
    });

    it('a negative label that is not ignoreIndex is rejected; the same label as ignoreIndex is not', () => {
      expect(forward(undefined, [0, 1, -1])).toThrowError(/label -1 at T\[2\] is outside \[0, 5\)/);
      expect(forward({ ignoreIndex: -1 }, [0, 1, -1])).not.toThrow();
      expect(forward({ ignoreIndex: -1 }, [0, 7, -1])).toThrowError(/label 7 at T\[1\]/);
    });

    it('a bad label does not leak the tensors allocated for the forward pass', () => {
      const before = backend.stats().liveTensors;
      const model = build(backend, undefined, [3, 5], [3]);
      const x = backend.tensor(draw(62, 15), [3, 5]);
      const t = backend.tensor([0, 9, 1], [3], 'int32');
      const afterSetup = backend.stats().liveTensors;
      expect(() => model.forward({ x, t })).toThrowError(/label 9/);
      expect(backend.stats().liveTensors).toBe(afterSetup);
      x.dispose();
      t.dispose();
      model.dispose();
      expect(backend.stats().liveTensors).toBe(before);
    });

    it('float labels are rejected with the expected and found dtypes', () => {
      const model = build(backend, undefined, [3, 5], [3], 'float');
      expect(() => model.forward({ x: backend.tensor(draw(63, 15), [3, 5]), t: backend.tensor([0, 1, 2], [3]) })).toThrowError(
        /node 'loss' \(SoftmaxCrossEntropyLoss\): input 1 \('t'\) must be int32, found float32/,
      );
    });

    it('labels whose shape is not X without its class axis are rejected with both shapes', () => {
      expect(() => build(backend, undefined, [3, 5], [3, 1])).toThrowError(
        /node 'loss' \(SoftmaxCrossEntropyLoss\): labels T must have shape \[1\] \(X \[1, 5\] without its class axis\), found T \[1, 1\]/,
      );
      expect(() => build(backend, undefined, [2, 3, 4, 4], [2, 4, 5])).toThrowError(/labels T must have shape \[1, 4, 4\].*found T \[1, 4, 5\]/);
      expect(() => build(backend, undefined, [5], [1])).toThrowError(/expected scores X of rank >= 2 \[N, C, \.\.\.\], found X \[1\]/);
    });

    it('labelSmoothing must lie in [0, 1)', () => {
      expect(() => SoftmaxCrossEntropy.resolve({ labelSmoothing: 1 }, "node 'loss'")).toThrowError(/node 'loss': attribute 'labelSmoothing': expected < 1, found 1/);
      expect(() => SoftmaxCrossEntropy.resolve({ labelSmoothing: -0.1 }, "node 'loss'")).toThrowError(/expected >= 0, found -0.1/);
    });
  });

  it('maps to ONNX attributes reduction and ignore_index, and refuses to export label smoothing', () => {
    const toOnnx = SoftmaxCrossEntropy.onnx!.attrs!;
    expect(toOnnx(SoftmaxCrossEntropy.resolve({ ignoreIndex: -100 }))).toEqual({ reduction: 'mean', ignore_index: -100 });
    expect(() => toOnnx(SoftmaxCrossEntropy.resolve({ labelSmoothing: 0.1 }))).toThrowError(/labelSmoothing': ONNX export needs 0 .*found 0\.1/);
  });
});

describe("SoftmaxCrossEntropy with class weights W and reduction 'none' (ONNX semantics)", () => {
  const backend = createCpuBackend({ dtype: 'float64' });

  /** Loss values and ∂C/∂x, ∂C/∂W for the seed dC (ones of the output's shape by default). */
  async function run(attrs: { reduction?: 'mean' | 'sum' | 'none'; ignoreIndex?: number }, x: number[], xShape: number[], labels: number[], weights: number[] | undefined, dC?: number[]) {
    const g = new GraphBuilder({ registry });
    const ins = [g.input('x', xShape), g.input('t', [xShape[0], ...xShape.slice(2)], 'int32')];
    if (weights) ins.push(g.input('w', [xShape[1]]));
    g.output(g.add(SoftmaxCrossEntropy, attrs, ins, { name: 'loss' }));
    const model = g.build({ backend });
    const feeds = { x: backend.tensor(x, xShape), t: backend.tensor(labels, [xShape[0], ...xShape.slice(2)], 'int32'), ...(weights ? { w: backend.tensor(weights, [xShape[1]]) } : {}) };
    const r = model.forward(feeds, { mode: 'train' });
    const y = r.get('loss');
    const value = Array.from(await y.read());
    const seed = backend.tensor(dC ?? value.map(() => 1), y.shape);
    const grads = r.backward({ seeds: { loss: seed }, inputs: weights ? ['x', 'w'] : ['x'] });
    const dx = Array.from(await grads.inputs.get('x')!.read());
    const dW = weights ? Array.from(await grads.inputs.get('w')!.read()) : [];
    grads.dispose();
    r.dispose();
    model.dispose();
    return { value, shape: y.shape, dx, dW };
  }

  /** −W[label]·log softmax(x)[label] per position of [N, C, D], the plain way; null where ignored. */
  function perPosition(x: number[], [n, c, ...rest]: number[], labels: number[], w: number[] | undefined, ignore?: number) {
    const d = rest.reduce((a, b) => a * b, 1);
    const out: (number | null)[] = [];
    for (let b = 0; b < n; b++)
      for (let k = 0; k < d; k++) {
        const label = labels[b * d + k];
        if (label === ignore) {
          out.push(null);
          continue;
        }
        let z = 0;
        for (let cls = 0; cls < c; cls++) z += Math.exp(x[(b * c + cls) * d + k]);
        out.push(-(w ? w[label] : 1) * Math.log(Math.exp(x[(b * c + label) * d + k]) / z));
      }
    return out;
  }

  it('mean divides Σ W[label]·ℓ by Σ W[label] over non-ignored positions; ∂C/∂W = Σ_{label = c} (ℓ − C)/ΣW (seed 71)', async () => {
    const x = draw(71, 18, 2);
    const labels = [0, 2, 1, 2, 0, 2];
    const w = [0.5, 2, 1.25];
    const { value, dx, dW } = await run({ ignoreIndex: 1 }, x, [6, 3], labels, w);
    const per = perPosition(x, [6, 3], labels, w, 1);
    const denom = labels.reduce((a, l) => (l === 1 ? a : a + w[l]), 0);
    const mean = per.reduce<number>((a, v) => a + (v ?? 0), 0) / denom;
    expect(Math.abs(value[0] - mean)).toBeLessThan(TOL);
    // ∂C/∂W_c = Σ_{k: label c} (ℓ_k/W_c − C)/ΣW with ℓ_k/W_c the unweighted loss.
    const wantDW = w.map((wc, c) => (c === 1 ? 0 : labels.reduce((a, l, k) => (l === c ? a + ((per[k] as number) / wc - mean) / denom : a), 0)));
    expectClose(dW, wantDW, TOL, 'dW');
    // ∂C/∂x at position k = W[label]·(p − onehot)/ΣW; zero at the ignored position 2.
    expect(dx.slice(6, 9)).toEqual([0, 0, 0]);
    const p0 = x.slice(0, 3).map((v) => Math.exp(v) / x.slice(0, 3).reduce((a, u) => a + Math.exp(u), 0));
    expectClose(dx.slice(0, 3), p0.map((p, c) => (w[0] * (p - (c === 0 ? 1 : 0))) / denom), TOL, 'dx[0]');
  });

  it("'none' keeps W[label]·ℓ per position with shape [N, d1], 0 where ignored; ∂C/∂x scales by dC (seed 73)", async () => {
    const x = draw(73, 24, 2);
    const labels = [1, 3, 0, 0, 2, 3];
    const w = [1, 0.5, 2, 3];
    const dC = [0.3, -1, 2, 0.5, 1.5, -0.2];
    const { value, shape, dx, dW } = await run({ reduction: 'none', ignoreIndex: 0 }, x, [2, 4, 3], labels, w, dC);
    expect(shape).toEqual([2, 3]);
    expectClose(value, perPosition(x, [2, 4, 3], labels, w, 0).map((v) => v ?? 0), TOL, 'loss');
    // ∂C/∂W_c = Σ_{k: label c} dC_k·ℓ_k/W_c (the unweighted loss).
    const per = perPosition(x, [2, 4, 3], labels, undefined, 0);
    expectClose(dW, w.map((_, c) => labels.reduce((a, l, k) => (l === c && l !== 0 ? a + dC[k] * (per[k] as number) : a), 0)), TOL, 'dW');
    // Position (n 0, d 1) has label 3: ∂C/∂x_c = dC·W[3]·(p_c − [c = 3]).
    const col = [0, 1, 2, 3].map((c) => x[c * 3 + 1]);
    const z = col.reduce((a, v) => a + Math.exp(v), 0);
    expectClose([0, 1, 2, 3].map((c) => dx[c * 3 + 1]), col.map((v, c) => dC[1] * w[3] * (Math.exp(v) / z - (c === 3 ? 1 : 0))), TOL, 'dx column');
  });

  it("'sum' without W equals the sum of the plain per-position losses (seed 75)", async () => {
    const x = draw(75, 15, 2);
    const labels = [4, 0, 2];
    const { value, shape } = await run({ reduction: 'sum' }, x, [3, 5], labels, undefined);
    expect(shape).toEqual([]);
    expect(Math.abs(value[0] - perPosition(x, [3, 5], labels, undefined).reduce<number>((a, v) => a + (v as number), 0))).toBeLessThan(TOL);
  });

  it('W of the wrong shape is rejected naming both shapes', () => {
    const g = new GraphBuilder({ registry });
    g.output(g.add(SoftmaxCrossEntropy, undefined, [g.input('x', [2, 3]), g.input('t', [2], 'int32'), g.input('w', [4])], { name: 'loss' }));
    expect(() => g.build({ backend })).toThrowError(/node 'loss' \(SoftmaxCrossEntropyLoss\): class weights W must have shape \[3\] \(one per class of X \[2, 3\]\), found W \[4\]/);
  });
});

describe('SoftmaxCrossEntropyLoss: the log_prob output', () => {
  it('log_prob = x − log Σ_c exp(x_c) per position, and its gradient is g − p·Σ_c g_c (seed 41)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const xShape = [2, 3, 4];
    const x = draw(41, 24);
    const labels = labelsFor(42, 8, 3);
    const g = new GraphBuilder({ registry });
    const xv = g.input('x', xShape);
    const tv = g.input('t', [2, 4], 'int32');
    g.output(...g.node(SoftmaxCrossEntropy, { reduction: 'sum' }, [xv, tv], { name: 'sce', outputs: ['loss', 'logp'] }));
    const model = g.build({ backend });
    const run = model.forward({ x: backend.tensor(x, xShape), t: backend.tensor(labels, [2, 4], 'int32') }, { mode: 'train' });
    const logp = Array.from(await run.get('logp').read());
    // Seed only log_prob (loss seeded with 0): dx must be log-softmax's adjoint alone.
    const seed = draw(43, 24);
    const grads = run.backward({ seeds: { loss: backend.tensor([0], []), logp: backend.tensor(seed, xShape) }, inputs: ['x'] });
    const dx = Array.from(await grads.inputs.get('x')!.read());
    const at = (b: number, c: number, k: number) => (b * 3 + c) * 4 + k;
    for (let b = 0; b < 2; b++)
      for (let k = 0; k < 4; k++) {
        let z = 0;
        let gs = 0;
        for (let c = 0; c < 3; c++) (z += Math.exp(x[at(b, c, k)])), (gs += seed[at(b, c, k)]);
        for (let c = 0; c < 3; c++) {
          const i = at(b, c, k);
          // Float64 throughout, |x| < 5: a few ulps of values below 10, so 1e-12.
          expect(Math.abs(logp[i] - (x[i] - Math.log(z))), `log_prob[${i}] (seed 41)`).toBeLessThan(1e-12);
          expect(Math.abs(dx[i] - (seed[i] - (Math.exp(x[i]) / z) * gs)), `dx[${i}] (seed 43)`).toBeLessThan(1e-12);
        }
      }
    grads.dispose();
    run.dispose();
    model.dispose();
  });
});
