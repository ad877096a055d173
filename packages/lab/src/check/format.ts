// Text for the checks' reports: what `hubel check` prints, kept here so the command stays a
// thin shell and library users get the same report.
import type { GradientCheckResult } from './gradients.js';
import type { OverfitPoint, OverfitResult } from './overfit.js';

const BLOCKS = '▁▂▃▄▅▆▇█';
const BAR = 20;

/** The error in [0, 1] as a `█`/`·` bar of 20 characters. */
function bar(error: number): string {
  const full = Math.round(Math.min(1, Math.max(0, error)) * BAR);
  return '█'.repeat(full) + '·'.repeat(BAR - full);
}

/**
 * A sparkline of values in [0, 1]: one of `▁▂▃▄▅▆▇█` per value (0 → `▁`, 1 → `█`), scaled to
 * the largest value when `relative` is set. Non-finite values print as `?`.
 */
export function sparkline(values: readonly number[], relative = false): string {
  const top = relative ? Math.max(...values.filter(Number.isFinite), Number.MIN_VALUE) : 1;
  return values
    .map((v) => (Number.isFinite(v) ? BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.round((v / top) * (BLOCKS.length - 1))))] : '?'))
    .join('');
}

/** One row of the training-error curve: step, eval-mode loss and error, and the error as a bar. */
export function formatOverfitPoint(p: OverfitPoint): string {
  const loss = Number.isFinite(p.loss) ? p.loss.toFixed(4) : String(p.loss);
  const ratio = Number.isNaN(p.updateRatio) ? '' : `  update/weight ${p.updateRatio.toExponential(1)}`;
  return `  step ${String(p.step).padStart(5)}  loss ${loss.padStart(8)}  error ${`${(100 * p.error).toFixed(2)}%`.padStart(7)}  ${bar(p.error)}${ratio}`;
}

/**
 * The verdict line: `overfit: reached 0.00% training error on N images in S steps` or
 * `overfit: stuck at E% after S steps`.
 */
export function overfitVerdict(r: OverfitResult): string {
  return r.verdict === 'reached'
    ? `overfit: reached 0.00% training error on ${r.examples} images in ${r.steps} steps`
    : `overfit: stuck at ${(100 * r.finalError).toFixed(2)}% after ${r.steps} steps`;
}

/**
 * The end of an overfit report: the error curve as a sparkline, the dead units per ReLU layer,
 * then the verdict line and, when stuck, one `  likely cause: …` line per cause.
 */
export function formatOverfitSummary(r: OverfitResult): string {
  const lines = [`error curve (${r.curve.length} measurements, one per epoch): ${sparkline(r.curve.map((p) => p.error))}`];
  if (r.deadUnits.length) {
    lines.push(`dead ReLU units on the ${r.examples} images: ${r.deadUnits.map((d) => `${d.node} ${d.dead}/${d.units} (${(100 * d.fraction).toFixed(1)}%)`).join(', ')}`);
  }
  lines.push(overfitVerdict(r));
  for (const c of r.causes) lines.push(`  likely cause: ${c}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The gradient check as text: a header (backend, batch, mode, seed, threshold), one line per
 * checked tensor (the input first, then every parameter tensor) with its shape, the scalars
 * compared and skipped at kinks, its worst relative error and ok/FAIL, then a last line
 * `gradients: ok …` or `gradients: FAILED …` naming the failing tensors.
 */
export function formatGradientCheck(r: GradientCheckResult): string {
  const nameW = Math.max(6, ...r.tensors.map((t) => t.name.length));
  const shapeW = Math.max(5, ...r.tensors.map((t) => `[${t.shape.join(', ')}]`.length));
  const rows = r.tensors.map((t) => {
    const scalars = `${t.checked}/${t.size} scalars${t.skipped ? `, ${t.skipped} skipped at kinks` : ''}`;
    const worst = Number.isFinite(t.worst) ? t.worst.toExponential(2) : String(t.worst);
    const where = !t.ok && t.at ? `  (at [${t.at.index}]: backward ${t.at.analytic.toPrecision(6)}, finite difference ${t.at.numeric.toPrecision(6)})` : '';
    const verdict = t.ok ? 'ok' : t.checked === 0 ? 'FAIL: nothing checked' : t.skipped > t.checked ? 'FAIL: mostly kinks' : 'FAIL';
    return `  ${t.name.padEnd(nameW)}  ${`[${t.shape.join(', ')}]`.padEnd(shapeW)}  worst rel error ${worst.padStart(8)}  ${verdict.padEnd(4)}  ${scalars}${where}`;
  });
  const failed = r.tensors.filter((t) => !t.ok);
  const worst = r.tensors.reduce((a, t) => (t.worst > a.worst || Number.isNaN(t.worst) ? t : a), r.tensors[0]);
  const last = r.ok
    ? `gradients: ok, worst relative error ${worst.worst.toExponential(2)} (${worst.name}) ≤ ${r.threshold.toExponential()} over ${r.tensors.length} tensors`
    : `gradients: FAILED: ${failed.map((t) => `${t.name} (${Number.isFinite(t.worst) ? t.worst.toExponential(2) : t.worst})`).join(', ')} above ${r.threshold.toExponential()}`;
  return `${r.header}\n${rows.join('\n')}\n${last}\n`;
}
