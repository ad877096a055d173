// The lecture's good-versus-bad training, measured: LeNet-5 with ReLUs trained for one epoch on
// 1,000 images of the bundled Fashion-MNIST sample by SGD (momentum 0.9) with a sensible step
// (lr 0.01) and with one 20× larger (lr 0.2). The large step drives whole channels of the
// convolutions below zero for every input (dead units) and leaves the surviving units firing
// rarely. The diagnostics come from UnitStats' probe on 300 test images at the epoch's end.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Sgd, Trainer } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { UnitStats, diagnoseModel, type LayerSummary } from '@hubel/lab';
import { lenet5, zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';

const registry = zooRegistry();
const loss = registry.layer('', 'SoftmaxCrossEntropyLoss');
const GOOD_LR = 0.01;
const BAD_LR = 0.2;

interface Outcome {
  /** Dead channels over both convolutional ReLU outputs (6 + 16 channels). */
  readonly convDead: number;
  /** Dead units over every ReLU output (6 + 16 channels, 120 + 84 features). */
  readonly dead: number;
  /** Mean over the ReLU outputs of their sparsity. */
  readonly sparsity: number;
  /** Mean over the ReLU outputs of mean |r| (outputs where fewer than two units vary left out). */
  readonly correlation: number;
  readonly layers: readonly LayerSummary[];
  readonly text: string;
}

async function run(lr: number, seed: number): Promise<Outcome> {
  const train = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'train', limit: 1000 })).dataset;
  const probe = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test', limit: 300 })).dataset;
  const model = lenet5({ activation: 'relu', registry }).build({ backend: createCpuBackend(), seed });
  const stats = new UnitStats({ probe, diagnose: { limit: 300 } });
  const trainer = new Trainer({ model, loss, optimizer: new Sgd({ lr, momentum: 0.9 }), seed, plugins: [stats] });
  await trainer.fit({ train, epochs: 1, batchSize: 32 });
  const layers = stats.history[0].layers;
  // The probe taken inside training is the model's state after it: the same numbers again.
  const after = await diagnoseModel(model, probe, { limit: 300, nodes: ['act1'] });
  expect(after.layers[0].sparsity).toBe(layers.find((l) => l.value === 'act1')!.sparsity);
  model.dispose();
  const relus = layers.filter((l) => l.op === 'Relu');
  const varying = relus.filter((l) => !Number.isNaN(l.meanAbsCorrelation));
  const sum = (f: (l: LayerSummary) => number, ls = relus) => ls.reduce((s, l) => s + f(l), 0);
  return {
    convDead: sum((l) => l.deadUnits, relus.filter((l) => l.shape.length === 3)),
    dead: sum((l) => l.deadUnits),
    sparsity: sum((l) => l.sparsity) / relus.length,
    correlation: varying.length ? sum((l) => l.meanAbsCorrelation, varying) / varying.length : NaN,
    layers,
    text: relus.map((l) => `${l.value} dead ${l.deadUnits}/${l.units} sparsity ${(100 * l.sparsity).toFixed(1)}% |r| ${l.meanAbsCorrelation.toFixed(3)}`).join('; '),
  };
}

describe('good versus bad training (lecture contrast)', () => {
  for (const seed of [1, 2, 3]) {
    it(`lr ${BAD_LR} (20× lr ${GOOD_LR}) leaves clearly more dead conv channels and sparser ReLU outputs (seed ${seed})`, async () => {
      const good = await run(GOOD_LR, seed);
      const bad = await run(BAD_LR, seed);
      const what = `seed ${seed}\n good: ${good.text}\n bad:  ${bad.text}`;
      // Measured over seeds 1–5: good runs keep all 22 conv channels alive, bad runs lose 7 to 21 of them.
      expect(bad.convDead, what).toBeGreaterThanOrEqual(good.convDead + 4);
      expect(bad.dead, what).toBeGreaterThan(good.dead);
      // Measured over seeds 1–5, mean over the four ReLU outputs: 43–57% zeros after good runs, 83–94% after bad ones.
      expect(bad.sparsity, what).toBeGreaterThan(good.sparsity + 0.15);
    });
  }
});
