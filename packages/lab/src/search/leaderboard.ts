// The search's summary table: one row per configuration (its longest-trained trial), best
// first, as Markdown.
import { formatConfig, type SearchConfig } from './space.js';

/** One finished trial as recorded in trials.jsonl. */
export interface TrialRecord {
  /** Index of the configuration in the search's list. */
  readonly index: number;
  /** The hyperparameters. */
  readonly config: SearchConfig;
  /** Epochs per fold. */
  readonly epochs: number;
  /** Validation error per fold, in [0, 1]. */
  readonly foldErrors: readonly number[];
  /** Mean validation error over the folds. */
  readonly mean: number;
  /** Sample standard deviation over the folds. */
  readonly std: number;
  /** Wall time of the trial. */
  readonly seconds: number;
}

/**
 * The rows of the leaderboard: per configuration its trial with the most epochs (successive
 * halving trains survivors longer), sorted by epochs (descending), then mean validation error,
 * then index — so the order depends on the results only, never on timing.
 */
export function rankTrials(trials: readonly TrialRecord[]): TrialRecord[] {
  const best = new Map<number, TrialRecord>();
  for (const t of trials) {
    const prev = best.get(t.index);
    if (!prev || t.epochs > prev.epochs) best.set(t.index, t);
  }
  return [...best.values()].sort((a, b) => b.epochs - a.epochs || a.mean - b.mean || a.index - b.index);
}

/** leaderboard.md: rank, configuration, mean ± std validation error (%), epochs, seconds. */
export function formatLeaderboard(trials: readonly TrialRecord[], title = 'Search leaderboard'): string {
  const pct = (x: number) => (100 * x).toFixed(2);
  const rows = rankTrials(trials).map((t, i) => `| ${i + 1} | \`${formatConfig(t.config)}\` | ${pct(t.mean)} ± ${pct(t.std)} % | ${t.epochs} | ${t.seconds.toFixed(1)} |`);
  return `# ${title}\n\n| rank | configuration | validation error (mean ± std over folds) | epochs | seconds |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`;
}
