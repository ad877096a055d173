// Convolution on the CPU backend in Chromium: every Conv case's ∂C/∂x and ∂C/∂W against finite
// differences (float64, the TypeScript path), then a whole convnet (conv → batch norm → ReLU →
// max pool → linear → softmax cross-entropy) the same way.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng, type Model } from '@hubel/core';
import { assertGradients, checkModelGradients, gradcheckPlugin } from '@hubel/core/testing';
import { Conv, convLayers } from '@hubel/layers-conv';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { fashionNet } from '@hubel/models';
import { describe, expect, it } from 'vitest';

describe('Conv in Chromium: ∂C/∂x and ∂C/∂W match finite differences (float64)', () => {
  const cases = convLayers.cases!.filter((c) => c.layer === Conv);
  it('has Conv cases to check, including the ones that take the Winograd path in float32', () => {
    expect(cases.length).toBeGreaterThan(5);
    expect(cases.some((c) => /Winograd/.test(c.name))).toBe(true);
  });
  gradcheckPlugin({ ...convLayers, cases }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

describe('a whole convnet in Chromium: every parameter and the input against finite differences (float64)', () => {
  const SEED = 5;
  it(`fashion convnet at reduced size (2 and 3 channels, 8×8 input, hidden 8), training mode, seed ${SEED}`, async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const net = fashionNet({ channels: [2, 3], hidden: 8, dropout: 0.25, inputShape: [1, 8, 8] }).build({ backend, seed: SEED });
    const model: Model = net.withLoss(SoftmaxCrossEntropy, undefined, { targetDType: 'int32', targetShape: [null] });
    const r = new Rng(SEED);
    const feeds = {
      input: { shape: [2, 1, 8, 8], values: Float64Array.from({ length: 128 }, () => r.range(0, 1)) },
      target: { shape: [2], values: Int32Array.from([3, 7]), dtype: 'int32' as const },
    };
    // ReLU and max pooling have kinks: a scalar whose one-sided slopes differ by more than 1e-4
    // (relative) sits on one and is skipped (a smooth function's differ by |C''|·ε ≈ 1e-6).
    const report = await checkModelGradients(model, { feeds, differentiate: ['input'] }, { seed: SEED, kink: 1e-4 });
    console.info(report.summary);
    assertGradients(report);
    expect(report.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['conv1.W', 'bn1.scale', 'conv2.W', 'fc1.W', 'scores.W', 'scores.B']));
    net.dispose();
  });
});
