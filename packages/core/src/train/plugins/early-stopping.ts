import type { EpochStats, Trainer, TrainerPlugin } from '../trainer.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** What to watch; default valLoss (trainLoss when there is no validation set). */
  readonly monitor?: 'valLoss' | 'valError' | 'trainLoss' | 'trainError';
  /** Smallest decrease that counts as an improvement. */
  readonly minDelta?: number;
}

/** Ends the run when the monitored quantity has not improved for `patience` epochs. */
export class EarlyStopping implements TrainerPlugin {
  constructor(private readonly options: EarlyStoppingOptions) {
    if (!(Number.isInteger(options.patience) && options.patience >= 0)) throw new RangeError(`patience must be a non-negative integer, found ${options.patience}`);
  }

  /** Taps `shouldStop`: stops once the monitored metric has not improved by `minDelta` for `patience` epochs. */
  apply(trainer: Trainer): void {
    let best = Infinity;
    let waited = 0;
    const { patience, minDelta = 0 } = this.options;
    trainer.hooks.shouldStop.tap('EarlyStopping', (e: EpochStats) => {
      const key = this.options.monitor ?? (Number.isNaN(e.valLoss) ? 'trainLoss' : 'valLoss');
      const value = e[key];
      if (value < best - minDelta) {
        best = value;
        waited = 0;
        return undefined;
      }
      return ++waited > patience ? true : undefined;
    });
  }
}
