import type { ModelDiagnostics } from './diagnose-model.js';
import type { LayerDiagnostics } from './unit-accumulator.js';

/** The numbers of a {@link LayerDiagnostics} without its arrays: what JSON output and `metrics.jsonl` carry. */
export interface LayerSummary {
  /** The node that produced the value. */
  readonly node: string;
  /** The value's name. */
  readonly value: string;
  /** The node's layer (`Relu`, `Conv`, …). */
  readonly op: string;
  /** One example's output shape. */
  readonly shape: readonly number[];
  /** Units (channels or features). */
  readonly units: number;
  /** Whether no value was negative. */
  readonly rectified: boolean;
  /** Fraction of values not active (≤ 0). */
  readonly sparsity: number;
  /** Units never active. */
  readonly deadUnits: number;
  /** Mean |Pearson r| between varying units; NaN when fewer than two vary. */
  readonly meanAbsCorrelation: number;
  /** Units the correlation matrix covers. */
  readonly correlationUnits: number;
  /** Constant units among those. */
  readonly constantUnits: number;
  /** Mean of all values. */
  readonly mean: number;
  /** Standard deviation of all values. */
  readonly std: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
}

/** The scalar statistics of one layer (drops the per-unit arrays, the correlation matrix and the histogram). */
export function summarizeLayer(d: LayerDiagnostics): LayerSummary {
  return {
    node: d.node,
    value: d.value,
    op: d.op,
    shape: d.shape,
    units: d.units,
    rectified: d.rectified,
    sparsity: d.sparsity,
    deadUnits: d.deadUnits,
    meanAbsCorrelation: d.meanAbsCorrelation,
    correlationUnits: d.correlationUnits.length,
    constantUnits: d.constantUnits,
    mean: d.mean,
    std: d.std,
    min: d.min,
    max: d.max,
  };
}

/**
 * A text table, one row per diagnosed output: sparsity, dead units, mean |correlation|, mean and
 * std. Sparsity of an output that takes negative values is marked `*` and explained in a footnote.
 */
export function formatDiagnostics(d: ModelDiagnostics): string {
  const head = ['output', 'op', 'shape', 'units', 'sparsity', 'dead', 'mean |r|', 'mean', 'std'];
  const rows = d.layers.map((l) => [
    l.value,
    l.op,
    l.shape.join('×'),
    String(l.units),
    `${(100 * l.sparsity).toFixed(1)}%${l.rectified ? ' ' : '*'}`,
    String(l.deadUnits),
    Number.isNaN(l.meanAbsCorrelation) ? '-' : l.meanAbsCorrelation.toFixed(3),
    num(l.mean),
    num(l.std),
  ]);
  const left = new Set([0, 1, 2]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((s, c) => (left.has(c) ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  const sampled = d.layers.filter((l) => l.correlationUnits.length < l.units);
  if (d.layers.some((l) => !l.rectified)) out.push('* output takes negative values: sparsity and dead units count values ≤ 0 (what a ReLU after it would zero)');
  if (sampled.length) out.push(`mean |r| over ${sampled[0].correlationUnits.length} evenly spaced units for outputs with more: ${sampled.map((l) => l.value).join(', ')}`);
  return `${out.join('\n')}\n`;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : v.toFixed(4);
}
