import type { Trainer, TrainerPlugin } from '../trainer.js';

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Where text goes; default process.stderr (Node) or console.log. */
  readonly write?: (text: string) => void;
  /** Redraw the bar in place (a TTY) or print every `every` batches. Default: TTY detection. */
  readonly inPlace?: boolean;
  /** Width of the bar in characters; default 24. */
  readonly width?: number;
}

function defaultWrite(): (s: string) => void {
  const p = (globalThis as { process?: { stderr?: { write(s: string): void } } }).process;
  return p?.stderr ? (s) => p.stderr!.write(s) : (s) => console.log(s.replace(/\n$/, ''));
}

function isTty(): boolean {
  const p = (globalThis as { process?: { stderr?: { isTTY?: boolean } } }).process;
  return !!p?.stderr?.isTTY;
}

/** Formats seconds compactly: `42s`, `3m07s`, `1h05m`; `--` for a non-finite value. */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const pct = (x: number) => (Number.isNaN(x) ? '  -  ' : `${(100 * x).toFixed(2)}%`);

/**
 * Console progress: a bar per epoch (batches done, loss, examples/s, ETA), then one line per
 * epoch with training and validation loss and error.
 */
export class ProgressBar implements TrainerPlugin {
  constructor(private readonly options: ProgressBarOptions = {}) {}

  /** Taps `batchEnd` to redraw the bar and `epochEnd` to print the epoch line. */
  apply(trainer: Trainer): void {
    const write = this.options.write ?? defaultWrite();
    const inPlace = this.options.inPlace ?? isTty();
    const width = this.options.width ?? 24;
    // −∞, not 0: performance.now() counts from the process's start, so with 0 a run starting
    // in a fresh process (a worker, a CLI call) would skip its first lines for up to 2 s.
    let lastPrint = -Infinity;
    trainer.hooks.batchEnd.tap('ProgressBar', (b) => {
      const done = b.batch + 1;
      const now = performance.now();
      if (done < b.batches && now - lastPrint < (inPlace ? 100 : 2000)) return;
      lastPrint = now;
      const filled = Math.round((width * done) / b.batches);
      const eta = ((b.batches - done) * b.elapsedMs) / 1000 / done;
      const line = `epoch ${b.epoch + 1} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${b.batches} loss ${b.loss.toFixed(4)} ${b.examplesPerSecond.toFixed(0)} ex/s ETA ${fmtDuration(eta)}`;
      write(inPlace ? `\r${line}\x1b[K` : `${line}\n`);
    });
    trainer.hooks.epochEnd.tap('ProgressBar', (e) => {
      const val = Number.isNaN(e.valLoss) ? '' : ` | val loss ${e.valLoss.toFixed(4)} error ${pct(e.valError)}`;
      write(`${inPlace ? '\r\x1b[K' : ''}epoch ${e.epoch + 1}/${e.epochs}: train loss ${e.trainLoss.toFixed(4)} error ${pct(e.trainError)}${val} (${e.seconds.toFixed(1)}s, ${e.examplesPerSecond.toFixed(0)} ex/s, lr ${e.lr.toPrecision(3)})\n`);
    });
  }
}
