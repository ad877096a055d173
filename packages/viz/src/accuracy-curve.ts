/**
 * Accuracy against the size of a perturbation (ε) as a hand-written SVG line chart, one line
 * per attack: ε on x (linear, from 0), accuracy (%) on y from 0 to 100, grid lines, a legend.
 */

/** One attack's measured accuracies, for {@link accuracyCurveSvg}. */
export interface AccuracySeries {
  /** Legend name, e.g. 'PGD'. */
  readonly name: string;
  /** (ε, accuracy as a fraction) points, in increasing ε. */
  readonly points: readonly { readonly epsilon: number; readonly accuracy: number }[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd'];

/** An SVG document (a string) plotting accuracy against ε for each series; `title` above the plot. */
export function accuracyCurveSvg(series: readonly AccuracySeries[], title = 'Accuracy under attack', width = 640, height = 400): string {
  const m = { left: 56, right: 120, top: 36, bottom: 44 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const maxE = Math.max(1e-9, ...series.flatMap((s) => s.points.map((p) => p.epsilon)));
  const sx = (e: number) => m.left + (e / maxE) * pw;
  const sy = (a: number) => m.top + ph - a * ph;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left + pw / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const y = sy(i / 5);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#ddd"/>`, `<text x="${m.left - 6}" y="${y + 4}" text-anchor="end">${i * 20}%</text>`);
  }
  const ticks = [...new Set(series.flatMap((s) => s.points.map((p) => p.epsilon)))].sort((a, b) => a - b);
  for (const e of ticks) out.push(`<text x="${sx(e)}" y="${m.top + ph + 16}" text-anchor="middle">${e}</text>`);
  out.push(`<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle">ε (L∞)</text>`);
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#333"/>`, `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333"/>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map((p) => `${sx(p.epsilon).toFixed(1)},${sy(p.accuracy).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of s.points) out.push(`<circle cx="${sx(p.epsilon).toFixed(1)}" cy="${sy(p.accuracy).toFixed(1)}" r="3" fill="${color}"/>`);
    out.push(`<line x1="${m.left + pw + 12}" y1="${m.top + 10 + 18 * i}" x2="${m.left + pw + 32}" y2="${m.top + 10 + 18 * i}" stroke="${color}" stroke-width="2"/>`, `<text x="${m.left + pw + 38}" y="${m.top + 14 + 18 * i}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
