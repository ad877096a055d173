// HMAX end to end through ONNX: imprint and train the zoo's hmax (few prototypes) on the bundled
// Fashion-MNIST sample, export it, and run the 1,000 test images in ONNX Runtime, whose S2 is
// the GaussianRbf function body in standard ops: scores and test accuracy must match Hubel's.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Adam, Trainer } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { decodeModel, exportOnnx, importOnnx } from '@hubel/io';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { hmax, imprintPrototypes } from '@hubel/models';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ORT_TOLERANCE, correctCount, fullRegistry, scaledError } from './helpers.js';

const registry = fullRegistry();

describe('HMAX exported to ONNX', () => {
  it('ONNX Runtime gives the same scores and test accuracy as Hubel on the bundled sample (40 prototypes, seed 3)', async () => {
    const backend = createCpuBackend();
    const train = await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'train', limit: 1000 });
    const test = await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test' });
    const model = hmax({ registry, prototypes: 40 }).build({ backend, seed: 3 });
    await imprintPrototypes(model, train.dataset, { seed: 3 });
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.05 }), seed: 3 });
    await trainer.fit({ train: train.dataset, epochs: 4, batchSize: 32 });

    const bytes = await exportOnnx(model);
    expect(decodeModel(bytes).functions.map((f) => `${f.domain}.${f.name}`).sort()).toEqual(['ai.hubel.GaussianRbf', 'ai.hubel.Maxout']);
    const session = await ort.InferenceSession.create(bytes);
    const n = test.dataset.length, classes = 10;
    const x = test.dataset.x as Float32Array;
    const theirs = (await session.run({ input: new ort.Tensor('float32', x, [n, 1, 28, 28]) }))[session.outputNames[0]].data as Float32Array;
    const input = backend.tensor(x, [n, 1, 28, 28]);
    const ours = await model.predict(input).read();
    input.dispose();

    const worst = scaledError(ours, theirs);
    // Both engines compute ‖x‖² − 2x·p + ‖p‖² in float32 with sums of 128 (S2) and 121 (S1)
    // terms in different orders: D differs by ~1e-6·‖x‖² ≲ 1e-4, y = e^(−0.1·D) by ≲ 1e-5
    // relatively, and 40 such C2 values into each score: far under the suite's 1e-4 of the scale.
    expect(worst, `scaled score error ${worst}`).toBeLessThan(ORT_TOLERANCE);
    const hubel = correctCount(ours, test.dataset.y, classes), onnx = correctCount(theirs, test.dataset.y, classes);
    // Scores agree to 1e-4 of their scale, so only a near-tie could flip a prediction: none does here.
    expect(onnx).toBe(hubel);
    // A real classifier, not chance (10%): 4 epochs on 1,000 images with 40 prototypes reach 56.3%
    // here (seeded); the bound leaves room for other float32 kernel paths.
    expect(hubel / n).toBeGreaterThan(0.45);

    const copy = importOnnx(bytes, { registry, backend });
    expect(copy.frozenParams()).toEqual(['s1.W', 's2.P']);
    expect(copy.node('s2').attrs).toMatchObject({ prototypes: 40, kernelShape: [4, 4], beta: expect.closeTo(0.1, 7) });
    const again = backend.tensor(x.subarray(0, 20 * 784), [20, 1, 28, 28]);
    expect(Array.from(await copy.predict(again).read())).toEqual(Array.from(ours.subarray(0, 200)));
    again.dispose();
    copy.dispose();
    model.dispose();
    await session.release();
  }, 120_000);
});
