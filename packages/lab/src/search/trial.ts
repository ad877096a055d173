// One trial of a search: a zoo model with one configuration, trained from scratch on each
// fold's training part for E epochs with core's Trainer, and its top-1 error measured on the
// fold's validation part. Every fold is seeded from the search seed, the trial index and the
// fold, so a trial rerun (after an interruption) gives the same errors. With a checkpoint
// directory, each fold's model and trainer state are saved after every epoch and when
// interrupted (io's checkpoint, atomically), and a rerun continues each fold from its checkpoint
// exactly as if it had not stopped.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Adam, HubelError, LrSchedule, Sgd, Trainer, cosineSchedule, stepSchedule, type ArrayDataset, type Backend, type Registry, type TrainerPlugin, type Model, type TrainerState } from '@hubel/core';
import { loadCheckpoint, saveCheckpoint } from '@hubel/io';
import { zooEntry, type ZooEntry } from '@hubel/models';
import { foldSplit } from './folds.js';
import type { SearchConfig } from './space.js';

/** Options of {@link runTrial}. */
export interface TrialOptions {
  /** Zoo model name (`fashion`, `mlp`, …); `hidden` and `dropout` in the config go to its builder. */
  readonly model: string;
  /**
   * The zoo entry to build, for a model that is not in @hubel/models' zoo (e.g. a third-party
   * entry from a plugin module); default `zooEntry(model)`.
   */
  readonly entry?: ZooEntry<object>;
  /** Registry with the zoo's layers and the SoftmaxCrossEntropyLoss layer. */
  readonly registry: Registry;
  /** Backend the models are built on (the CPU backend for a search). */
  readonly backend: Backend;
  /** All the examples that folds are taken from (images [N, C, H, W], int32 labels). */
  readonly data: ArrayDataset;
  /** Fold (or hold-out part) of each example; fold f's examples are validation for fold f. */
  readonly folds: Int32Array;
  /** Folds to run: 0..K−1 for K-fold cross-validation, [1] for a hold-out (part 1 validates). */
  readonly runFolds: readonly number[];
  /** The hyperparameters; absent keys take the defaults (adam, lr 1e-3 (sgd 0.05), wd 0, batch 64, cosine). */
  readonly config: SearchConfig;
  /** Epochs per fold. */
  readonly epochs: number;
  /** The search seed. */
  readonly seed: number;
  /** The trial's index in the search (part of each fold's seed). */
  readonly index: number;
  /** Trainer plugins for each fold (e.g. `() => [new BatchNormFinalizer()]`). */
  readonly plugins?: () => TrainerPlugin[];
  /** Aborting stops training after the current batch; {@link runTrial} then returns undefined. */
  readonly signal?: AbortSignal;
  /**
   * Directory of the trial's checkpoints ({@link trialCheckpointPath}): each fold's is written
   * after every epoch and when `signal` aborts, and a fold with one continues from it (the
   * result is bit-identical to an uninterrupted trial). They are left in place: remove them
   * with {@link removeTrialCheckpoints} once the result is recorded.
   */
  readonly checkpoints?: string;
  /** Progress lines: an epoch of a fold finished, a fold resumed from its checkpoint. */
  readonly log?: (message: string) => void;
}

/** The checkpoint file of fold `fold` of trial `index` trained for `epochs` epochs, in `dir`. */
export function trialCheckpointPath(dir: string, index: number, epochs: number, fold: number): string {
  return join(dir, `trial-${index}-${epochs}ep-fold-${fold}.onnx`);
}

/** Deletes the checkpoints of trial `index` at `epochs` epochs (folds `folds`) from `dir`. */
export function removeTrialCheckpoints(dir: string, index: number, epochs: number, folds: readonly number[]): void {
  for (const fold of folds) rmSync(trialCheckpointPath(dir, index, epochs, fold), { force: true });
}

/** What {@link runTrial} returns: validation errors per fold and their summary. */
export interface TrialResult {
  /** Top-1 validation error of each fold, in [0, 1]. */
  readonly foldErrors: readonly number[];
  /** Mean of `foldErrors`. */
  readonly mean: number;
  /** Sample standard deviation of `foldErrors` (0 for one fold). */
  readonly std: number;
  /** Wall time of the trial. */
  readonly seconds: number;
}

/** The seed of fold `fold` of trial `index` in a search seeded with `seed`. */
export function trialSeed(seed: number, index: number, fold: number): number {
  return (seed * 1_000_003 + index * 1_009 + fold) >>> 0;
}

/**
 * Trains and validates one configuration on every fold of `runFolds`; models and optimizers
 * are disposed before returning. Returns undefined when `signal` aborted it (nothing to
 * record). Throws a HubelError for a configuration the model cannot take (e.g. `hidden` for
 * a model without that option) or when the registry has no SoftmaxCrossEntropyLoss.
 */
export async function runTrial(o: TrialOptions): Promise<TrialResult | undefined> {
  const start = performance.now();
  const foldErrors: number[] = [];
  if (o.checkpoints !== undefined) mkdirSync(o.checkpoints, { recursive: true });
  for (const [f, fold] of o.runFolds.entries()) {
    const { train, validation } = foldSplit(o.data, o.folds, fold);
    const name = o.runFolds.length > 1 ? `fold ${f + 1}/${o.runFolds.length}` : 'hold-out';
    const checkpoint = o.checkpoints === undefined ? undefined : { path: trialCheckpointPath(o.checkpoints, o.index, o.epochs, fold), name };
    const error = await trainAndTest(o, train, validation, trialSeed(o.seed, o.index, fold), checkpoint);
    if (error === undefined) return undefined;
    foldErrors.push(error);
  }
  const mean = foldErrors.reduce((s, e) => s + e, 0) / foldErrors.length;
  const std = foldErrors.length > 1 ? Math.sqrt(foldErrors.reduce((s, e) => s + (e - mean) ** 2, 0) / (foldErrors.length - 1)) : 0;
  return { foldErrors, mean, std, seconds: (performance.now() - start) / 1000 };
}

/** Options of {@link retrainConfig}: those of {@link runTrial} without the folds, plus a test set. */
export interface RetrainOptions extends Omit<TrialOptions, 'data' | 'folds' | 'runFolds' | 'index'> {
  /** The whole training set. */
  readonly train: ArrayDataset;
  /** The test set the retrained model is measured on. */
  readonly test: ArrayDataset;
}

/**
 * Trains one configuration (the search's best) on the whole training set, seeded with
 * `trialSeed(seed, 0xffffffff, 0)`, and returns its top-1 test error and wall time; undefined
 * when `signal` aborted it. Throws as {@link runTrial}.
 */
export async function retrainConfig(o: RetrainOptions): Promise<{ testError: number; seconds: number } | undefined> {
  const start = performance.now();
  const testError = await trainAndTest(o, o.train, o.test, trialSeed(o.seed, 0xffffffff, 0));
  return testError === undefined ? undefined : { testError, seconds: (performance.now() - start) / 1000 };
}

async function trainAndTest(
  o: Omit<TrialOptions, 'data' | 'folds' | 'runFolds' | 'index'>,
  train: ArrayDataset,
  test: ArrayDataset,
  seed: number,
  checkpoint?: { readonly path: string; readonly name: string },
): Promise<number | undefined> {
  const c = o.config;
  const entry = o.entry ?? zooEntry(o.model);
  for (const k of ['hidden', 'dropout'] as const) {
    if (c[k] !== undefined && !entry.knobs?.includes(k)) throw new HubelError('attribute', `--space: model '${o.model}' has no ${k} option (its options: ${entry.knobs?.join(', ') || 'none'})`);
  }
  if (!o.registry.hasLayer('', 'SoftmaxCrossEntropyLoss')) throw new HubelError('unknown-layer', 'search: SoftmaxCrossEntropyLoss is not registered (register @hubel/layers-loss)');
  const loss = o.registry.layer('', 'SoftmaxCrossEntropyLoss');
  const optimizerName = (c.optimizer as string | undefined) ?? 'adam';
  const lr = (c.lr as number | undefined) ?? (optimizerName === 'sgd' ? 0.05 : 0.001);
  const weightDecay = (c.wd as number | undefined) ?? 0;
  const schedule = (c.schedule as string | undefined) ?? 'cosine';
  const batchSize = (c.batch as number | undefined) ?? 64;
  const [ch, h, w] = train.inputShape;
  const knobs = { ...(c.hidden !== undefined ? { hidden: c.hidden } : {}), ...(c.dropout !== undefined ? { dropout: c.dropout } : {}) };
  let model: Model;
  let resume: TrainerState | undefined;
  if (checkpoint && existsSync(checkpoint.path)) {
    ({ model, state: resume } = await loadCheckpoint(checkpoint.path, { registry: o.registry, backend: o.backend }));
    const at = resume.epoch >= o.epochs ? `, all ${o.epochs} epochs done` : ` at epoch ${resume.epoch + 1}/${o.epochs}${resume.batchInEpoch ? `, batch ${resume.batchInEpoch + 1}` : ''}`;
    o.log?.(`${checkpoint.name}: resuming from its checkpoint${at}`);
  } else {
    model = entry.build({ registry: o.registry, inputShape: [ch, h, w], classes: train.classes ?? 10, ...(knobs as object) }).build({ backend: o.backend, seed });
  }
  const optimizer = optimizerName === 'sgd' ? new Sgd({ lr, momentum: 0.9, weightDecay }) : new Adam({ lr, weightDecay });
  const plugins = [...(o.plugins?.() ?? [])];
  if (schedule !== 'none') plugins.push(new LrSchedule(schedule === 'cosine' ? cosineSchedule(o.epochs) : stepSchedule(Math.max(1, Math.ceil(o.epochs / 3)), 0.1)));
  const trainer = new Trainer({ model, loss, optimizer, seed, plugins });
  const save = async () => {
    if (checkpoint) await saveCheckpoint(checkpoint.path, model, await trainer.state());
  };
  trainer.hooks.epochEnd.tapPromise('TrialCheckpoint', async (stats) => {
    await save();
    if (checkpoint) o.log?.(`${checkpoint.name}: epoch ${stats.epoch + 1}/${o.epochs}`);
  });
  const stop = () => trainer.requestStop('interrupted');
  o.signal?.addEventListener('abort', stop);
  try {
    if (o.signal?.aborted) return undefined;
    const summary = await trainer.fit({ train, epochs: o.epochs, batchSize, evalBatchSize: 256, resume });
    if (summary.stopReason === 'interrupted') {
      await save();
      return undefined;
    }
    const stats = await trainer.evaluate(test, 256);
    // A diverged run (NaN scores) counts every example as an error.
    return Number.isFinite(stats.error) ? stats.error : 1;
  } finally {
    o.signal?.removeEventListener('abort', stop);
    model.dispose();
    optimizer.dispose();
  }
}
