// The search's picture: one panel per searched dimension, each trial a dot at (its value,
// its mean validation error), a log axis for log ranges and evenly spaced slots for choices.
// Only the trials with the most epochs per configuration are drawn (see rankTrials).
import { rankTrials, type TrialRecord } from './leaderboard.js';
import type { SearchSpace } from './space.js';

/**
 * An SVG (text) of mean validation error (%) against each dimension of `space`, one panel per
 * dimension side by side; the best configuration's dots are drawn in red.
 */
export function searchPlotSvg(space: SearchSpace, trials: readonly TrialRecord[], title = 'validation error against each searched dimension'): string {
  const rows = rankTrials(trials);
  const pw = 220, ph = 180, m = { l: 44, r: 12, t: 36, b: 36 };
  const width = space.length * (pw + m.l + m.r), height = ph + m.t + m.b;
  const errs = rows.map((t) => 100 * t.mean);
  const lo = Math.max(0, Math.floor(Math.min(...errs, 100) / 5) * 5), hi = Math.min(100, Math.ceil(Math.max(...errs, 0) / 5) * 5 || 5);
  const yOf = (e: number) => m.t + ph - ((100 * e - lo) / Math.max(hi - lo, 1e-9)) * ph;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts: string[] = [];
  space.forEach((d, p) => {
    const x0 = p * (pw + m.l + m.r) + m.l;
    let xOf: (v: number | string) => number;
    let ticks: [number, string][];
    if (d.kind === 'choice') {
      const slot = (v: number | string) => d.values.indexOf(v);
      xOf = (v) => x0 + ((slot(v) + 0.5) / d.values.length) * pw;
      ticks = d.values.map((v) => [xOf(v), String(v)]);
    } else {
      const f = (v: number) => (d.log ? Math.log(v) : v);
      const span = f(d.max) - f(d.min) || 1;
      xOf = (v) => x0 + ((f(v as number) - f(d.min)) / span) * pw;
      ticks = [d.min, d.max].map((v) => [xOf(v), String(Number(v.toPrecision(3)))]);
    }
    parts.push(`<rect x="${x0}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    parts.push(`<text x="${x0 + pw / 2}" y="${m.t - 8}" text-anchor="middle" font-size="13">${esc(d.key)}${d.kind === 'range' && d.log ? ' (log)' : ''}</text>`);
    for (const [x, label] of ticks) parts.push(`<text x="${x.toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle" font-size="11">${esc(label)}</text>`);
    parts.push(`<text x="${x0 - 4}" y="${m.t + 4}" text-anchor="end" font-size="11">${hi}%</text><text x="${x0 - 4}" y="${m.t + ph}" text-anchor="end" font-size="11">${lo}%</text>`);
    rows.forEach((t, i) => {
      const v = t.config[d.key];
      if (v === undefined) return;
      parts.push(`<circle cx="${xOf(v).toFixed(1)}" cy="${yOf(t.mean).toFixed(1)}" r="${i === 0 ? 5 : 3.5}" fill="${i === 0 ? '#d62728' : '#1f77b4'}" fill-opacity="0.75"/>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 20}" viewBox="0 0 ${width} ${height + 20}" font-family="sans-serif">\n<text x="${width / 2}" y="16" text-anchor="middle" font-size="14">${esc(title)}</text>\n${parts.join('\n')}\n<text x="${width / 2}" y="${height + 14}" text-anchor="middle" font-size="11">mean validation error over folds; red: best</text>\n</svg>\n`;
}
