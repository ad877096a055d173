// The neocognitron end to end through ONNX: self-organize its S layers and train its classifier
// on the bundled Fashion-MNIST sample, export it, and run the 1,000 test images in ONNX Runtime,
// where the V cells are ONNX LRN nodes spanning all of a patch's channels: scores and test
// accuracy must match Hubel's.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Adam, Trainer } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { decodeModel, exportOnnx, importOnnx } from '@hubel/io';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { CompetitiveLearning, neocognitron, neocognitronPhases } from '@hubel/models';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ORT_TOLERANCE, correctCount, fullRegistry, scaledError } from './helpers.js';

const registry = fullRegistry();

describe('neocognitron exported to ONNX', () => {
  it('ONNX Runtime gives the same scores and test accuracy as Hubel on the bundled sample (self-organized on 1,000 images, seed 3)', async () => {
    const backend = createCpuBackend();
    const train = await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'train', limit: 1000 });
    const test = await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test' });
    const model = neocognitron({ registry }).build({ backend, seed: 3 });
    const learner = new CompetitiveLearning({ phases: neocognitronPhases(train.dataset.length) });
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.03 }), seed: 3, plugins: [learner] });
    await trainer.fit({ train: train.dataset, epochs: 3, batchSize: 50 });
    expect(learner.reports.map((r) => r.layer)).toEqual(['s1', 's2', 's3']);

    const bytes = await exportOnnx(model);
    const decoded = decodeModel(bytes);
    // Only standard ops: nothing for another engine to know about the neocognitron.
    expect(decoded.functions).toEqual([]);
    expect([...new Set(decoded.graph.nodes.map((n) => n.opType))].sort()).toEqual(['AveragePool', 'Conv', 'Flatten', 'Gemm', 'LRN', 'Relu']);
    const session = await ort.InferenceSession.create(bytes);
    const n = test.dataset.length, classes = 10;
    const x = test.dataset.x as Float32Array;
    const theirs = (await session.run({ input: new ort.Tensor('float32', x, [n, 1, 28, 28]) }))[session.outputNames[0]].data as Float32Array;
    // Hubel in batches of 250, as `hubel evaluate` does: 1,000 images at once hold ~1.5 GB of
    // patches and V-cell values in one forward pass.
    const ours = new Float32Array(n * classes);
    for (let s = 0; s < n; s += 250) {
      const input = backend.tensor(x.subarray(s * 784, (s + 250) * 784), [250, 1, 28, 28]);
      const scores = model.predict(input);
      ours.set(await scores.read(), s * classes);
      scores.dispose();
      input.dispose();
    }

    const worst = scaledError(ours, theirs);
    // Both engines work in float32 but sum in different orders: the V cells' sums of up to 400
    // squares (ours a float64 running sum, ONNX Runtime's its own), the S cells' dot products of
    // 50, 400 and 288 terms, and 1,024 terms per score: each a relative ~1e-6 of values of order
    // 1, and the ReLU thresholds are continuous. Far under the suite's 1e-4 of the score scale.
    expect(worst, `scaled score error ${worst}`).toBeLessThan(ORT_TOLERANCE);
    const hubel = correctCount(ours, test.dataset.y, classes), onnx = correctCount(theirs, test.dataset.y, classes);
    // Scores agree to 1e-4 of their scale, so only a near-tie could flip a prediction: none does here.
    expect(onnx).toBe(hubel);
    // A real classifier, not chance (10%): 3 epochs on 1,000 images reach 72.8% here (seeded; the
    // scaled score error is 3e-7); the bound leaves room for other float32 kernel paths.
    expect(hubel / n).toBeGreaterThan(0.6);

    const copy = importOnnx(bytes, { registry, backend });
    expect(copy.frozenParams()).toEqual(model.frozenParams());
    const again = backend.tensor(x.subarray(0, 20 * 784), [20, 1, 28, 28]);
    expect(Array.from(await copy.predict(again).read())).toEqual(Array.from(ours.subarray(0, 200)));
    again.dispose();
    copy.dispose();
    model.dispose();
    await session.release();
  }, 120_000);
});
