// Trainer plugins written outside Hubel: each is a class with `apply(trainer)` that taps
// `trainer.hooks` under its own name. Three of them here:
//   Warmup        — rewrites the learning rate (the `learningRate` waterfall hook),
//   LrRecorder    — records the rate each epoch ran with (`epochStart`) and the batch losses (`batchEnd`),
//   StopAtLoss    — ends the run once the training loss is low enough (`shouldStop`, a bail hook).
//
// Run: node --import tsx docs/guides/examples/trainer-plugins.ts
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, LrSchedule, Registry, Rng, Sequential, Sgd, Trainer, stepSchedule, type EpochStats, type TrainerPlugin } from '@hubel/core';
import { Tanh, activationLayers } from '@hubel/layers-activation';
import { Linear, denseLayers } from '@hubel/layers-dense';
import { SoftmaxCrossEntropy, lossLayers } from '@hubel/layers-loss';

/**
 * Linear warmup: epoch e < `epochs` runs at lr·(e + 1)/epochs. `learningRate` is a waterfall:
 * each tap gets the previous tap's rate, so Warmup composes with a schedule tapped before it.
 */
export class Warmup implements TrainerPlugin {
  constructor(private readonly epochs: number) {}

  apply(trainer: Trainer): void {
    trainer.hooks.learningRate.tap('Warmup', (lr, { epoch }) => (epoch < this.epochs ? (lr * (epoch + 1)) / this.epochs : lr));
  }
}

/** Records what each epoch ran with: the learning rate and the mean of its batch losses. */
export class LrRecorder implements TrainerPlugin {
  readonly lr: number[] = [];
  readonly batchLoss: number[] = [];
  #sum = 0;
  #n = 0;

  apply(trainer: Trainer): void {
    trainer.hooks.epochStart.tap('LrRecorder', ({ lr }) => {
      this.lr.push(lr); // the scheduled rate: every `learningRate` tap has run
      this.#sum = this.#n = 0;
    });
    // batchEnd is the hot path: synchronous, and cheap (the loss is already on the host).
    trainer.hooks.batchEnd.tap('LrRecorder', ({ loss, examples }) => {
      this.#sum += loss * examples;
      this.#n += examples;
    });
    trainer.hooks.epochEnd.tap('LrRecorder', () => void this.batchLoss.push(this.#sum / this.#n));
  }
}

/** Ends the run after the first epoch whose training loss is below `target`. */
export class StopAtLoss implements TrainerPlugin {
  constructor(private readonly target: number) {}

  apply(trainer: Trainer): void {
    // shouldStop is a bail hook: the first tap returning true ends the run; undefined passes.
    trainer.hooks.shouldStop.tap('StopAtLoss', (e: EpochStats) => (e.trainLoss < this.target ? true : undefined));
  }
}

async function main(): Promise<void> {
  // Three overlapping Gaussian blobs in the plane, one class each.
  const r = new Rng(2);
  const n = 150;
  const x = new Float32Array(2 * n), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    x[2 * i] = Math.cos((2 * Math.PI * y[i]) / 3) + 0.4 * r.normal();
    x[2 * i + 1] = Math.sin((2 * Math.PI * y[i]) / 3) + 0.4 * r.normal();
  }
  const data = new ArrayDataset(x, [2], y, [], 3);

  const registry = new Registry().use(cpuBackend, denseLayers, activationLayers, lossLayers);
  const model = new Sequential([null, 2], { registry }).add(Linear, { outFeatures: 8 }).add(Tanh).add(Linear, { outFeatures: 3 }).build({ backend: createCpuBackend(), seed: 2 });

  // Plugins apply in order, so their taps on one hook run in that order too: the step schedule
  // halves the rate every 5 epochs, then Warmup scales the first 3 epochs.
  const recorder = new LrRecorder();
  const trainer = new Trainer({
    model,
    loss: SoftmaxCrossEntropy,
    optimizer: new Sgd({ lr: 0.2 }),
    plugins: [new LrSchedule(stepSchedule(5, 0.5)), new Warmup(3), recorder, new StopAtLoss(0.0985)],
    seed: 2,
  });
  const summary = await trainer.fit({ train: data, epochs: 50, batchSize: 10 });

  console.log(`learning rates: ${recorder.lr.map((v) => +v.toPrecision(4)).join(', ')}`);
  console.log(`epoch losses: ${recorder.batchLoss.map((v) => v.toFixed(3)).join(', ')}`);
  console.log(`recorded ${recorder.lr.length} epochs; run stopped early: ${summary.stoppedEarly} (${summary.stopReason ?? 'completed'}) after ${summary.epochsRun} of 50 epochs, final loss ${summary.history.at(-1)!.trainLoss.toFixed(4)}`);
  model.dispose();
}

await main();
