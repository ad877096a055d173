import type { Trainer, TrainerPlugin } from '../trainer.js';

/** Receives one line of text (without newline); may be async. */
export type LineSink = (line: string) => void | Promise<void>;

/**
 * Appends one JSON object per line: a `run` record at the start, one `epoch` record per epoch
 * (train/validation loss and error, learning rate, time) and a `done` record.
 * Give it a sink function, or a file path (Node; the file is appended to).
 */
export class MetricsLog implements TrainerPlugin {
  constructor(private readonly target: LineSink | string) {}

  /** Taps `runStart`, `epochEnd` and `done`, writing one JSON line for each. */
  apply(trainer: Trainer): void {
    let sink: LineSink;
    const open = async (): Promise<LineSink> => {
      if (typeof this.target !== 'string') return this.target;
      const fs = await import('node:fs/promises');
      const path = this.target;
      return (line) => fs.appendFile(path, line);
    };
    const emit = async (record: Record<string, unknown>) => {
      sink ??= await open();
      await sink(`${JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
    };
    trainer.hooks.runStart.tapPromise('MetricsLog', (r) =>
      emit({ type: 'run', time: new Date().toISOString(), epochs: r.epochs, startEpoch: r.startEpoch, batchSize: r.batchSize, trainSize: r.trainSize, validationSize: r.validationSize }),
    );
    trainer.hooks.epochEnd.tapPromise('MetricsLog', (e) => emit({ type: 'epoch', ...e }));
    trainer.hooks.done.tapPromise('MetricsLog', (s) => emit({ type: 'done', epochsRun: s.epochsRun, stoppedEarly: s.stoppedEarly, stopReason: s.stopReason ?? null, seconds: s.seconds }));
  }
}
