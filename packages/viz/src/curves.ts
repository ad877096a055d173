/**
 * Training and validation error per epoch as a hand-written SVG line chart: epochs on x,
 * error (%) on y from 0 to a rounded-up maximum, grid lines, a legend.
 */
export interface CurvePoint {
  /** 0-based epoch; plotted as epoch + 1. */
  readonly epoch: number;
  /** Training error as a fraction (plotted in %). */
  readonly trainError: number;
  /** NaN when there was no validation set. */
  readonly valError: number;
}

/** Options of {@link errorCurvesSvg}. */
export interface CurveOptions {
  /** SVG width in pixels; default 640. */
  readonly width?: number;
  /** SVG height in pixels; default 400. */
  readonly height?: number;
  /** Title above the plot; default 'Error per epoch'. */
  readonly title?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An SVG document (a string) plotting training and validation error against epochs. */
export function errorCurvesSvg(points: readonly CurvePoint[], o: CurveOptions = {}): string {
  const width = o.width ?? 640;
  const height = o.height ?? 400;
  const m = { left: 56, right: 16, top: 36, bottom: 44 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const epochs = Math.max(1, ...points.map((p) => p.epoch + 1));
  const all = points.flatMap((p) => [p.trainError, p.valError]).filter(Number.isFinite);
  const top = niceCeil(Math.max(0.01, ...all) * 100);
  const sx = (e: number) => m.left + (epochs === 1 ? pw / 2 : ((e - 1) / (epochs - 1)) * pw);
  const sy = (err: number) => m.top + ph - ((err * 100) / top) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title ?? 'Error per epoch')}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (top * i) / 5;
    const y = m.top + ph - (ph * i) / 5;
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${fx(y)}" y2="${fx(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.left - 6}" y="${fx(y + 4)}" text-anchor="end">${fmt(v)}%</text>`);
  }
  const step = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 1; e <= epochs; e += step) out.push(`<text x="${fx(sx(e))}" y="${m.top + ph + 18}" text-anchor="middle">${e}</text>`);
  out.push(`<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle">epoch</text>`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  const series = [
    { key: 'trainError' as const, label: 'training error', color: '#1f77b4' },
    { key: 'valError' as const, label: 'validation error', color: '#d62728' },
  ];
  series.forEach((s, k) => {
    const pts = points.filter((p) => Number.isFinite(p[s.key])).map((p) => `${fx(sx(p.epoch + 1))},${fx(sy(p[s.key]))}`);
    if (pts.length === 0) return;
    out.push(`<polyline class="${s.key}" fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
    }
    const ly = m.top + 14 + 16 * k;
    out.push(`<line x1="${m.left + pw - 130}" x2="${m.left + pw - 110}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + pw - 104}" y="${ly}">${s.label}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k that is ≥ v. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (k * p >= v) return k * p;
  return 10 * p;
}

const fx = (v: number) => (Math.round(v * 100) / 100).toString();
const fmt = (v: number) => (Number.isInteger(v) ? v.toString() : v.toFixed(1));
