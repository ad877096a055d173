/**
 * Activation histograms of several layers as one hand-written SVG: a panel per layer (small
 * multiples), bars for the share of values in each bin, exact zeros reported apart as text
 * (after a ReLU they are often most of the values and would flatten every other bar).
 */

/** One panel of {@link activationHistogramsSvg}: a histogram over equal bins on [lo, hi]. */
export interface HistogramPanel {
  /** Panel heading, e.g. the layer output's name. */
  readonly title: string;
  /** Lower edge of the first bin. */
  readonly lo: number;
  /** Upper edge of the last bin. */
  readonly hi: number;
  /** Values per bin, exact zeros excluded. */
  readonly counts: readonly number[];
  /** Values the counts were drawn from, zeros included (the bars show count / sampled). */
  readonly sampled: number;
  /** Fraction of values exactly 0, printed in the panel. */
  readonly zeros: number;
}

/** Options of {@link activationHistogramsSvg}. */
export interface HistogramSvgOptions {
  /** Panels per row; default 3. */
  readonly columns?: number;
  /** Width of one panel in pixels; default 260. */
  readonly panelWidth?: number;
  /** Height of one panel in pixels; default 170. */
  readonly panelHeight?: number;
  /** Title above the panels; default 'Activation histograms'. */
  readonly title?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fx = (v: number) => (Math.round(v * 100) / 100).toString();

function label(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

/**
 * An SVG document (a string) with one histogram panel per entry of `panels`, laid out in rows.
 * Each bar (`<rect class="bin">`) has height proportional to count / sampled, scaled so the
 * panel's tallest bar fills it; the x axis is labelled with lo and hi, and a dashed line marks 0
 * when it lies inside (lo, hi).
 */
export function activationHistogramsSvg(panels: readonly HistogramPanel[], o: HistogramSvgOptions = {}): string {
  const columns = Math.max(1, Math.min(o.columns ?? 3, panels.length || 1));
  const pw = o.panelWidth ?? 260;
  const ph = o.panelHeight ?? 170;
  const rows = Math.max(1, Math.ceil(panels.length / columns));
  const top = 32;
  const width = columns * pw;
  const height = top + rows * ph;
  const m = { left: 40, right: 10, top: 34, bottom: 22 };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title ?? 'Activation histograms')}</text>`,
  ];
  panels.forEach((p, k) => {
    const x0 = (k % columns) * pw;
    const y0 = top + Math.floor(k / columns) * ph;
    const w = pw - m.left - m.right;
    const h = ph - m.top - m.bottom;
    const bx = x0 + m.left;
    const by = y0 + m.top;
    const shares = p.counts.map((c) => (p.sampled > 0 ? c / p.sampled : 0));
    const peak = Math.max(0, ...shares);
    out.push(`<g class="panel">`);
    out.push(`<text x="${fx(x0 + pw / 2)}" y="${fx(y0 + 14)}" text-anchor="middle" font-size="12">${esc(p.title)}</text>`);
    out.push(`<text class="zeros" x="${fx(bx + w)}" y="${fx(y0 + 28)}" text-anchor="end" fill="#555">zeros ${(100 * p.zeros).toFixed(1)}%</text>`);
    out.push(`<rect x="${fx(bx)}" y="${fx(by)}" width="${fx(w)}" height="${fx(h)}" fill="none" stroke="#444"/>`);
    const bw = p.counts.length ? w / p.counts.length : w;
    shares.forEach((s, i) => {
      const bh = peak > 0 ? (s / peak) * h : 0;
      out.push(`<rect class="bin" x="${fx(bx + i * bw)}" y="${fx(by + h - bh)}" width="${fx(Math.max(bw - 0.5, 0.5))}" height="${fx(bh)}" fill="#1f77b4"><title>${label(p.lo + i * ((p.hi - p.lo) / p.counts.length))}: ${(100 * s).toFixed(2)}%</title></rect>`);
    });
    if (p.lo < 0 && p.hi > 0) {
      const zx = bx + ((0 - p.lo) / (p.hi - p.lo)) * w;
      out.push(`<line x1="${fx(zx)}" x2="${fx(zx)}" y1="${fx(by)}" y2="${fx(by + h)}" stroke="#d62728" stroke-dasharray="3,2"/>`);
    }
    out.push(`<text x="${fx(bx - 4)}" y="${fx(by + 8)}" text-anchor="end">${(100 * peak).toFixed(peak >= 0.1 ? 0 : 1)}%</text>`);
    out.push(`<text x="${fx(bx - 4)}" y="${fx(by + h)}" text-anchor="end">0</text>`);
    out.push(`<text x="${fx(bx)}" y="${fx(by + h + 14)}" text-anchor="start">${label(p.lo)}</text>`);
    out.push(`<text x="${fx(bx + w)}" y="${fx(by + h + 14)}" text-anchor="end">${label(p.hi)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
