import { HubelError } from '../errors.js';
import type { Dataset } from '../data.js';
import type { ForwardRun } from '../graph/executor.js';
import type { Model } from '../graph/model.js';
import { AsyncSeriesBailHook, AsyncSeriesHook, SyncBailHook, SyncHook, SyncWaterfallHook } from '../hooks.js';
import type { AnyLayer } from '../layer.js';
import { RunningMean, topKCorrect } from '../metrics.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { Rng, type RngState } from '../rng.js';

/** Payload of `hooks.runStart`: the run's size and the model being trained. */
export interface RunInfo {
  /** Total epochs of the run (the loop stops at this epoch index). */
  readonly epochs: number;
  /** First epoch to run: 0, or where a resumed run continues. */
  readonly startEpoch: number;
  /** Examples per training batch (the last batch of an epoch may be smaller). */
  readonly batchSize: number;
  /** Number of training examples. */
  readonly trainSize: number;
  /** Number of validation examples; 0 without a validation set. */
  readonly validationSize: number;
  /** `⌈trainSize / batchSize⌉`. */
  readonly batchesPerEpoch: number;
  /** The model being trained (without the loss node). */
  readonly model: Model;
}

/** Payload of `hooks.epochStart` and the second argument of `hooks.learningRate`. */
export interface EpochInfo {
  /** 0-based. */
  readonly epoch: number;
  /** Total epochs of the run. */
  readonly epochs: number;
  /** Learning rate: the base rate in `learningRate`, the scheduled one in `epochStart`. */
  readonly lr: number;
  /** Batches in this epoch. */
  readonly batches: number;
}

/**
 * Payload of `hooks.batchForward`: one training batch after its forward pass (training mode),
 * before its backward pass. The run and the indices belong to the loop: read what the tap needs
 * during the tap (`await run.get(name).read()`); do not keep, change or dispose them.
 */
export interface BatchForward {
  /** Current epoch, 0-based. */
  readonly epoch: number;
  /** 0-based index within the epoch. */
  readonly batch: number;
  /** Batches in this epoch. */
  readonly batches: number;
  /** Positions of the batch's examples in the training set, in batch order. */
  readonly indices: Int32Array;
  /**
   * The batch's forward run through the model and its loss node: `run.get(name)` is any value
   * the model computed for the batch (a node's output is named after the node), [N, ...].
   */
  readonly run: ForwardRun;
}

/** Payload of `hooks.batchEnd`, after each batch: its optimizer step, unless a `batchForward` tap took it. */
export interface BatchStats {
  /** Current epoch, 0-based. */
  readonly epoch: number;
  /** 0-based index within the epoch. */
  readonly batch: number;
  /** Batches in this epoch. */
  readonly batches: number;
  /** Global optimizer step (1-based). */
  readonly step: number;
  /** Mean loss over this batch. */
  readonly loss: number;
  /** Top-1 error on this batch (training mode), or NaN for regression targets. */
  readonly error: number;
  /** Examples in this batch. */
  readonly examples: number;
  /** Training throughput since the epoch started. */
  readonly examplesPerSecond: number;
  /** Milliseconds since the epoch started. */
  readonly elapsedMs: number;
  /** Learning rate used for this step. */
  readonly lr: number;
}

/** What {@link Trainer.evaluate} returns. */
export interface EvalStats {
  /** Mean loss over the dataset. */
  readonly loss: number;
  /** Top-1 error, NaN for regression. */
  readonly error: number;
  /** Top-k error for each requested k (`topK` option), e.g. { 5: 0.12 }. */
  readonly topK: Readonly<Record<number, number>>;
  /** Number of examples evaluated. */
  readonly examples: number;
}

/** Payload of `hooks.epochEnd` and `hooks.shouldStop`: one epoch's training and validation metrics. */
export interface EpochStats {
  /** The epoch that ended, 0-based. */
  readonly epoch: number;
  /** Total epochs of the run. */
  readonly epochs: number;
  /** Learning rate used during the epoch. */
  readonly lr: number;
  /** Mean training loss over the epoch (training mode, weights changing as it went). */
  readonly trainLoss: number;
  /** Top-1 training error over the epoch; NaN for regression. */
  readonly trainError: number;
  /** NaN when there is no validation set. */
  readonly valLoss: number;
  /** Top-1 validation error; NaN without a validation set or for regression. */
  readonly valError: number;
  /** Validation top-k errors by k, for the trainer's `topK`. */
  readonly valTopK: Readonly<Record<number, number>>;
  /** Wall time of the epoch's training batches (validation excluded). */
  readonly seconds: number;
  /** Training throughput over the epoch. */
  readonly examplesPerSecond: number;
}

/** Payload of `hooks.finalize`, after the last epoch: what a pass over the training data needs. */
export interface FinalizeContext {
  /** The trained model. */
  readonly model: Model;
  /** The training set. */
  readonly train: Dataset;
  /** The run's batch size. */
  readonly batchSize: number;
}

/** What {@link Trainer.fit} resolves to, also the payload of `hooks.done`. */
export interface RunSummary {
  /** Epochs completed by this call (not counting those before a resume). */
  readonly epochsRun: number;
  /** Whether the run ended before `epochs` (a `shouldStop` tap or {@link Trainer.requestStop}). */
  readonly stoppedEarly: boolean;
  /** `'shouldStop'` or the reason given to `requestStop`; absent when the run completed. */
  readonly stopReason?: string;
  /** Statistics of every epoch, including those before a resume. */
  readonly history: readonly EpochStats[];
  /** Wall time of the `fit` call. */
  readonly seconds: number;
}

/** Everything needed to resume a run exactly: position, RNG streams and optimizer moments. */
export interface TrainerState {
  /** Epoch to run next (0-based) and batches of it already done. */
  readonly epoch: number;
  /** Batches of `epoch` already done. */
  readonly batchInEpoch: number;
  /** Global optimizer step count. */
  readonly step: number;
  /** Shuffle stream as it was at the start of `epoch` (the epoch's order is redrawn from it). */
  readonly shuffleRng: { words: RngState; spare: number | null };
  /** Dropout stream at this position. */
  readonly dropoutRng: { words: RngState; spare: number | null };
  /** Learning rate before schedules. */
  readonly baseLr: number;
  /** The optimizer's step count and slots. */
  readonly optimizer: OptimizerState;
  /** Statistics of the epochs done. */
  readonly history: readonly EpochStats[];
  /** Running sums of the interrupted epoch, so its statistics come out as if uninterrupted. */
  readonly partial: { readonly loss: number; readonly lossN: number; readonly errors: number; readonly errorN: number };
}

/** A feature of the training loop: `apply` taps `trainer.hooks`, under the plugin's class name. */
export interface TrainerPlugin {
  /** Called once by the Trainer's constructor; taps the hooks it needs. */
  apply(trainer: Trainer): void;
}

/** What the {@link Trainer} constructor takes. */
export interface TrainerOptions {
  /** The model to train; its first input takes the examples, its first output feeds the loss. */
  readonly model: Model;
  /** Loss layer appended to the model's first output, e.g. SoftmaxCrossEntropy. */
  readonly loss: AnyLayer;
  /** Attributes of the loss layer. */
  readonly lossAttrs?: Record<string, unknown>;
  /** Updates the parameters; its `lr` is the base learning rate. */
  readonly optimizer: Optimizer;
  /** Plugins applied in order by the constructor. */
  readonly plugins?: readonly TrainerPlugin[];
  /** Seed for the shuffle and dropout streams. Default 0. */
  readonly seed?: number;
  /** Top-k errors to report on validation, e.g. [5]. */
  readonly topK?: readonly number[];
}

/** Options of {@link Trainer.fit}. */
export interface FitOptions {
  /** Training set. */
  readonly train: Dataset;
  /** Validation set, evaluated in eval mode after every epoch. */
  readonly validation?: Dataset;
  /** Epoch index to train up to (a resumed run continues from its saved epoch). */
  readonly epochs: number;
  /** Examples per batch. */
  readonly batchSize: number;
  /** Default true. */
  readonly shuffle?: boolean;
  /** Continue from `trainer.state()` saved earlier (parameters must already be restored). */
  readonly resume?: TrainerState;
  /** Validation batch size (default: batchSize). */
  readonly evalBatchSize?: number;
}

/**
 * Mini-batch training with its loop events as tapable hooks. Features (progress, logging,
 * NaN guard, early stopping, schedules, batch-norm finalization) are plugins tapping them.
 */
export class Trainer {
  /** The loop's events; plugins tap them (see {@link TrainerPlugin}). */
  readonly hooks = Object.freeze({
    /** Before the first epoch. */
    runStart: new AsyncSeriesHook<[RunInfo]>(['run']),
    /** At the start of each epoch, after the learning rate is scheduled. */
    epochStart: new SyncHook<[EpochInfo]>(['epoch']),
    /**
     * Each training batch after its forward pass, before backward: taps read the batch's values
     * (unsupervised learning rules, such as the neocognitron's competitive learning, learn from
     * them). A tap that returns true takes the batch: the loop skips its backward pass and
     * optimizer step (its loss and error still count in the epoch's statistics, and `batchEnd`
     * still fires). A tap that writes parameters should take the batch: otherwise backward would
     * mix the forward's values with the new weights. Untapped, it costs nothing.
     */
    batchForward: new AsyncSeriesBailHook<[BatchForward], true | void>(['batch']),
    /** Hot path: synchronous and cheap. After the optimizer step, or after a taken batch. */
    batchEnd: new SyncHook<[BatchStats]>(['batch']),
    /** May write files. */
    epochEnd: new AsyncSeriesHook<[EpochStats]>(['epoch']),
    /** The first tap to return true ends the run. */
    shouldStop: new SyncBailHook<[EpochStats], true | void>(['epoch']),
    /** Schedules transform the learning rate in turn: (lr, epoch) → lr. */
    learningRate: new SyncWaterfallHook<[number, EpochInfo]>(['lr', 'epoch']),
    /** After the last epoch, before `done`: batch-norm statistics pass and the like. */
    finalize: new AsyncSeriesHook<[FinalizeContext]>(['context']),
    /** Last: the run's summary, also what `fit` resolves to. */
    done: new AsyncSeriesHook<[RunSummary]>(['summary']),
  });
  /** The model being trained. */
  readonly model: Model;
  /** The optimizer updating the model's parameters. */
  readonly optimizer: Optimizer;
  /** The loss layer appended to the model's first output. */
  readonly loss: AnyLayer;
  /** The k of the top-k errors reported on validation. */
  readonly topK: readonly number[];
  #lossAttrs?: Record<string, unknown>;
  #shuffleRng: Rng;
  #dropoutRng: Rng;
  #epoch = 0;
  #batchInEpoch = 0;
  #epochStartShuffle: { words: RngState; spare: number | null };
  #history: EpochStats[] = [];
  #partial = { loss: 0, lossN: 0, errors: 0, errorN: 0 };
  #stopRequest: string | undefined;
  readonly #baseLr: number;

  constructor(o: TrainerOptions) {
    this.model = o.model;
    this.optimizer = o.optimizer;
    this.loss = o.loss;
    this.#lossAttrs = o.lossAttrs;
    this.topK = o.topK ?? [];
    const seed = o.seed ?? 0;
    this.#shuffleRng = new Rng(seed);
    this.#dropoutRng = new Rng(seed ^ 0x5bd1e995);
    this.#epochStartShuffle = this.#shuffleRng.getState();
    this.#baseLr = o.optimizer.lr;
    for (const p of o.plugins ?? []) p.apply(this);
  }

  /** Asks the loop to stop after the current batch (e.g. on Ctrl-C); `fit` then resolves normally. */
  requestStop(reason: string): void {
    this.#stopRequest = reason;
  }

  /** Next epoch to run, 0-based (the number of epochs completed). */
  get epoch(): number {
    return this.#epoch;
  }

  /** Resumable state at the current position (call between batches, e.g. from a hook or after fit). */
  async state(): Promise<TrainerState> {
    return {
      epoch: this.#epoch,
      batchInEpoch: this.#batchInEpoch,
      step: this.optimizer.stepCount,
      shuffleRng: this.#epochStartShuffle,
      dropoutRng: this.#dropoutRng.getState(),
      baseLr: this.#baseLr,
      optimizer: await this.optimizer.exportState(),
      history: [...this.#history],
      partial: { ...this.#partial },
    };
  }

  /**
   * Trains for `epochs`, firing the hooks; resolves with the run's summary. Throws on bad options or
   * a non-positive scheduled learning rate. Each batch's tensors are disposed before the next.
   */
  async fit(o: FitOptions): Promise<RunSummary> {
    const t0 = performance.now();
    if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) throw new HubelError('attribute', `fit: epochs must be a non-negative integer, found ${o.epochs}`);
    if (!(Number.isInteger(o.batchSize) && o.batchSize > 0)) throw new HubelError('attribute', `fit: batchSize must be a positive integer, found ${o.batchSize}`);
    if (o.train.length === 0) throw new HubelError('attribute', 'fit: the training set is empty');
    const lossModel = this.model.withLoss(this.loss, this.#lossAttrs, {
      targetDType: o.train.targetDType,
      targetShape: [null, ...o.train.targetShape],
    });
    const backend = this.model.backend;
    const params = this.model.params();
    const batches = Math.ceil(o.train.length / o.batchSize);
    if (o.resume) this.#restore(o.resume, params);
    const startEpoch = this.#epoch;
    this.#stopRequest = undefined;
    await this.hooks.runStart.promise({
      epochs: o.epochs,
      startEpoch,
      batchSize: o.batchSize,
      trainSize: o.train.length,
      validationSize: o.validation?.length ?? 0,
      batchesPerEpoch: batches,
      model: this.model,
    });
    let stopReason: string | undefined;
    const output = this.model.outputs[0];
    const classify = o.train.targetDType === 'int32';
    while (this.#epoch < o.epochs && !stopReason) {
      const epoch = this.#epoch;
      const epochT0 = performance.now();
      this.#epochStartShuffle = this.#shuffleRng.getState();
      const order = Int32Array.from({ length: o.train.length }, (_, i) => i);
      if (o.shuffle !== false) this.#shuffleRng.shuffle(order);
      const info0: EpochInfo = { epoch, epochs: o.epochs, lr: this.#baseLr, batches };
      const lr = this.hooks.learningRate.call(this.#baseLr, info0);
      if (!(lr > 0) || !Number.isFinite(lr)) throw new HubelError('attribute', `learning-rate schedule produced ${lr} at epoch ${epoch}`);
      this.optimizer.lr = lr;
      this.hooks.epochStart.call({ ...info0, lr });
      let examplesThisRun = 0;
      let lastYield = performance.now();
      for (let b = this.#batchInEpoch; b < batches; b++) {
        const idx = order.subarray(b * o.batchSize, Math.min((b + 1) * o.batchSize, order.length));
        const { x, y } = o.train.batch(idx, backend);
        let loss: number;
        let errors = NaN;
        try {
          const run = lossModel.forward({ [this.model.inputs[0].name]: x, target: y }, { mode: 'train', rng: this.#dropoutRng });
          try {
            loss = (await run.get('loss').read())[0];
            if (classify) {
              const scores = run.get(output);
              const flat = await scores.read();
              errors = idx.length - topKCorrect(flat, [scores.shape[0], scores.size / scores.shape[0]], await y.read(), 1);
            }
            const taken = this.hooks.batchForward.isUsed() ? await this.hooks.batchForward.promise({ epoch, batch: b, batches, indices: idx, run }) : undefined;
            if (taken !== true) {
              const grads = run.backward();
              this.optimizer.step(params, grads);
              grads.dispose();
            }
          } finally {
            run.dispose();
          }
        } finally {
          x.dispose();
          y.dispose();
        }
        this.#batchInEpoch = b + 1;
        this.#partial.loss += loss * idx.length;
        this.#partial.lossN += idx.length;
        if (classify) {
          this.#partial.errors += errors;
          this.#partial.errorN += idx.length;
        }
        examplesThisRun += idx.length;
        const elapsedMs = performance.now() - epochT0;
        this.hooks.batchEnd.call({
          epoch,
          batch: b,
          batches,
          step: this.optimizer.stepCount,
          loss,
          error: classify ? errors / idx.length : NaN,
          examples: idx.length,
          examplesPerSecond: (examplesThisRun * 1000) / Math.max(elapsedMs, 1e-6),
          elapsedMs,
          lr,
        });
        if (this.#stopRequest) break;
        // On the CPU every read resolves at once, so an epoch would be one unbroken chain of
        // microtasks: let the event loop run (signal handlers, timers) at least every 50 ms.
        if (performance.now() - lastYield > 50) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          lastYield = performance.now();
          if (this.#stopRequest) break;
        }
      }
      if (this.#stopRequest && this.#batchInEpoch < batches) {
        stopReason = this.#stopRequest;
        break;
      }
      const seconds = (performance.now() - epochT0) / 1000;
      const val = o.validation ? await this.evaluate(o.validation, o.evalBatchSize ?? o.batchSize) : undefined;
      const stats: EpochStats = {
        epoch,
        epochs: o.epochs,
        lr,
        trainLoss: this.#partial.loss / this.#partial.lossN,
        trainError: classify ? this.#partial.errors / this.#partial.errorN : NaN,
        valLoss: val?.loss ?? NaN,
        valError: val?.error ?? NaN,
        valTopK: val?.topK ?? {},
        seconds,
        examplesPerSecond: examplesThisRun / Math.max(seconds, 1e-9),
      };
      this.#history.push(stats);
      this.#epoch = epoch + 1;
      this.#batchInEpoch = 0;
      // The next epoch's order is drawn from the stream as it stands now: a checkpoint taken
      // between epochs must resume from here, not from the start of the epoch just finished.
      this.#epochStartShuffle = this.#shuffleRng.getState();
      this.#partial = { loss: 0, lossN: 0, errors: 0, errorN: 0 };
      await this.hooks.epochEnd.promise(stats);
      if (this.#stopRequest) stopReason = this.#stopRequest;
      else if (this.hooks.shouldStop.call(stats) === true) stopReason = 'shouldStop';
    }
    lossModel.dispose();
    if (!stopReason || stopReason === 'shouldStop') {
      await this.hooks.finalize.promise({ model: this.model, train: o.train, batchSize: o.batchSize });
    }
    const summary: RunSummary = {
      epochsRun: this.#epoch - startEpoch,
      stoppedEarly: stopReason !== undefined,
      stopReason,
      history: [...this.#history],
      seconds: (performance.now() - t0) / 1000,
    };
    await this.hooks.done.promise(summary);
    return summary;
  }

  /** Loss and errors over a dataset in eval mode. */
  async evaluate(data: Dataset, batchSize: number): Promise<EvalStats> {
    const lossModel = this.model.withLoss(this.loss, this.#lossAttrs, { targetDType: data.targetDType, targetShape: [null, ...data.targetShape] });
    const backend = this.model.backend;
    const loss = new RunningMean();
    const classify = data.targetDType === 'int32';
    let correct = 0;
    const topCorrect: Record<number, number> = {};
    for (const k of this.topK) topCorrect[k] = 0;
    for (let s = 0; s < data.length; s += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, data.length - s) }, (_, i) => s + i);
      const { x, y } = data.batch(idx, backend);
      try {
        const run = lossModel.forward({ [this.model.inputs[0].name]: x, target: y }, { mode: 'eval' });
        try {
          loss.add((await run.get('loss').read())[0], idx.length);
          if (classify) {
            const scores = run.get(this.model.outputs[0]);
            const flat = await scores.read();
            const labels = await y.read();
            const shape = [scores.shape[0], scores.size / scores.shape[0]];
            correct += topKCorrect(flat, shape, labels, 1);
            for (const k of this.topK) topCorrect[k] += topKCorrect(flat, shape, labels, k);
          }
        } finally {
          run.dispose();
        }
      } finally {
        x.dispose();
        y.dispose();
      }
    }
    lossModel.dispose();
    const topK: Record<number, number> = {};
    for (const k of this.topK) topK[k] = 1 - topCorrect[k] / data.length;
    return { loss: loss.value, error: classify ? 1 - correct / data.length : NaN, topK, examples: data.length };
  }

  #restore(s: TrainerState, params: ReturnType<Model['params']>): void {
    this.#epoch = s.epoch;
    this.#batchInEpoch = s.batchInEpoch;
    this.#shuffleRng.setState(s.shuffleRng);
    this.#epochStartShuffle = s.shuffleRng;
    this.#dropoutRng.setState(s.dropoutRng);
    this.#history = [...s.history];
    this.#partial = { ...s.partial };
    this.optimizer.importState(s.optimizer, params);
  }
}
