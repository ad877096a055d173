import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { LRN, normLayers } from '@hubel/layers-norm';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, normLayers);

describe('LRN: finite differences (float64)', () => {
  gradcheckPlugin({ ...normLayers, cases: normLayers.cases.filter((c) => c.layer === LRN) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

/** ONNX's LRN definition, written out literally over [N, C, S]. */
function onnxLrn(x: readonly number[], [n, c, s]: readonly number[], a: { size: number; alpha: number; beta: number; bias: number }): number[] {
  const y = new Array<number>(x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const lo = Math.max(0, ch - Math.floor((a.size - 1) / 2));
      const hi = Math.min(c - 1, ch + Math.ceil((a.size - 1) / 2));
      for (let j = 0; j < s; j++) {
        let squareSum = 0;
        for (let i = lo; i <= hi; i++) squareSum += x[(b * c + i) * s + j] ** 2;
        const at = (b * c + ch) * s + j;
        y[at] = x[at] / (a.bias + (a.alpha / a.size) * squareSum) ** a.beta;
      }
    }
  }
  return y;
}

describe('LRN', () => {
  const configs = [
    { name: 'AlexNet (size 5, alpha 1e-4, beta 0.75, bias 2) on 2×9×3×4', attrs: { size: 5, alpha: 1e-4, beta: 0.75, bias: 2 }, shape: [2, 9, 3, 4], scale: 30 },
    { name: 'ONNX defaults with size 3 on 1×4×5 (rank 3)', attrs: { size: 3 }, shape: [1, 4, 5], scale: 40 },
    { name: 'size 7 wider than 5 channels, alpha 0.2, beta 1.3, bias 0.5', attrs: { size: 7, alpha: 0.2, beta: 1.3, bias: 0.5 }, shape: [2, 5, 2, 2], scale: 2 },
    { name: 'beta 1 (a fast path), size 3', attrs: { size: 3, alpha: 0.1, beta: 1, bias: 1 }, shape: [2, 4, 3], scale: 3 },
    { name: 'beta 0.5 (a fast path), size 5', attrs: { size: 5, alpha: 0.1, beta: 0.5, bias: 1 }, shape: [2, 6, 3], scale: 3 },
  ];
  for (const [k, cfg] of configs.entries()) {
    it(`equals ONNX's formula computed directly: ${cfg.name} (seed ${20 + k})`, async () => {
      const backend = createCpuBackend({ dtype: 'float64' });
      const model = new Sequential([null, ...cfg.shape.slice(1)], { registry }).add(LRN, cfg.attrs, 'lrn').build({ backend });
      const r = new Rng(20 + k);
      // Large inputs (scale) so that even alpha = 1e-4 moves the output well away from x/bias^beta.
      const x = Array.from({ length: cfg.shape.reduce((p, d) => p * d, 1) }, () => cfg.scale * r.normal());
      const xt = backend.tensor(x, cfg.shape);
      const y = Array.from(model.predict(xt).readSync());
      const full = { alpha: 1e-4, beta: 0.75, bias: 1, ...cfg.attrs };
      const want = onnxLrn(x, [cfg.shape[0], cfg.shape[1], cfg.shape.slice(2).reduce((p, d) => p * d, 1)], full);
      // The kernel keeps a running window sum (adds and subtracts planes) where the reference sums
      // afresh: float64 rounding ~1e-16·(Σx²)·size relative to the denominator, far below 1e-12.
      want.forEach((v, i) => expect(Math.abs(y[i] - v)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))));
      // The normalization is not negligible here: y differs from x/bias^beta.
      expect(want.some((v, i) => Math.abs(v - x[i] / full.bias ** full.beta) > 1e-3 * Math.abs(v))).toBe(true);
      xt.dispose();
      model.dispose();
    });
  }

  it('rejects an even size (ONNX requires odd), naming the node and the value', () => {
    const build = () => new Sequential([null, 4, 2, 2], { registry }).add(LRN, { size: 4 }, 'norm1').build({ backend: createCpuBackend() });
    expect(build).toThrowError(HubelError);
    expect(build).toThrowError(/node 'norm1' \(LRN\): attribute 'size': expected an odd number of channels \(ONNX LRN\), found 4/);
  });

  it('requires size and rejects a non-positive bias', () => {
    expect(() => LRN.resolve({} as never, "node 'n'")).toThrowError(/node 'n': attribute 'size' is required/);
    expect(() => LRN.resolve({ size: 3, bias: 0 }, "node 'n'")).toThrowError(/node 'n': attribute 'bias': expected > 0, found 0/);
  });
});
