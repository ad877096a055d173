/**
 * Gabor fits of a model's convolution filters (usually the first layer): one fit per
 * (filter, input channel) or per channel-summed filter, the R² distribution, a picture of each
 * filter beside its fit, and a plain-data report for JSON.
 */
import { HubelError, Rng, fmtShape, layerLabel, type Model } from '@hubel/core';
import { labelledGridSvg, tileGrid, type GridOptions, type Image } from '@hubel/viz';
import { layerNames } from '../visualize/layer.js';
import { fitGabor, summarizeR2, type GaborFit, type GaborFitOptions, type GaborFitParams, type R2Summary } from './fit.js';

/** Options of {@link modelGaborFits}. */
export interface ModelGaborFitOptions extends GaborFitOptions {
  /**
   * 'each' (default): fit every (filter, input channel) slice; 'sum': fit each filter summed
   * over its input channels (for RGB, roughly its luminance part). With one input channel the
   * two are the same.
   */
  readonly channels?: 'each' | 'sum';
  /** Fit only the first this many filters (output channels); default all. */
  readonly maxFilters?: number;
  /**
   * How many Gaussian white-noise filters of the same size to fit for a chance level of R²
   * (eight parameters found by search explain some variance of pure noise: about 0.3 on 7×7,
   * 0.15 on 11×11); default 20, 0 for none. Seeded, so reports repeat.
   */
  readonly baseline?: number;
}

/** One fitted filter slice. */
export interface FilterGaborFit extends GaborFit {
  /** Output channel (filter index). */
  readonly filter: number;
  /** Input channel, or 'sum' for the channel-summed filter. */
  readonly channel: number | 'sum';
  /** The filter slice that was fitted (kh·kw values, row-major). */
  readonly values: Float64Array;
}

/** What {@link modelGaborFits} returns. */
export interface ModelGaborFits {
  /** The node whose weights were fitted. */
  readonly layer: string;
  /** Its weight's shape [F, C, kh, kw]. */
  readonly shape: readonly number[];
  /** Kernel [kh, kw]. */
  readonly kernel: readonly [number, number];
  /** How input channels were treated. */
  readonly channels: 'each' | 'sum';
  /** The fits, filter by filter (then channel by channel). */
  readonly fits: readonly FilterGaborFit[];
  /** The distribution of the fits' R². */
  readonly summary: R2Summary;
  /** R² of fits to white-noise filters of the same size (the chance level); absent with `baseline: 0`. */
  readonly noiseBaseline?: R2Summary;
}

/**
 * Fits a Gabor to every filter of a convolution node (a node with a 4-D weight W
 * [F, C/group, kh, kw]; `layer` is a node name or the name of its output) with
 * {@link fitGabor}. Throws a `graph` HubelError listing the layers with filters when `layer`
 * has none, and a `shape` one for kernels under 3×3.
 */
export async function modelGaborFits(model: Model, layer: string, o: ModelGaborFitOptions = {}): Promise<ModelGaborFits> {
  const node = model.nodes.find((n) => n.name === layer) ?? model.nodes.find((n) => n.outputs.includes(layer));
  if (!node) throw new HubelError('graph', `no layer named '${layer}' (layers: ${layerNames(model)})`);
  const W = node.params.W;
  if (!W || W.shape.length !== 4) {
    const convs = model.nodes.filter((n) => n.params.W?.shape.length === 4).map((n) => n.name);
    throw new HubelError('graph', `gabor-fit: layer '${layer}' (${layerLabel(node.layer)}) has no 2-D convolution filters (a 4-D weight W${W ? `; its W is ${fmtShape(W.shape)}` : ''}); layers with filters: ${convs.join(', ') || 'none'}`);
  }
  const [F, C, kh, kw] = W.shape;
  if (kh < 3 || kw < 3) throw new HubelError('shape', `gabor-fit: layer '${node.name}' has ${kh}×${kw} kernels; a Gabor has 8 parameters, so fitting needs at least 3×3 (7×7 or more to say much)`);
  const max = o.maxFilters ?? F;
  if (!(Number.isInteger(max) && max >= 1)) throw new HubelError('attribute', `gabor-fit: the number of filters must be a positive integer, found ${max}`);
  const channels = o.channels ?? 'each';
  const values = await W.read();
  const n = kh * kw;
  const fits: FilterGaborFit[] = [];
  for (let f = 0; f < Math.min(F, max); f++) {
    const slices: [number | 'sum', Float64Array][] = [];
    if (channels === 'sum' || C === 1) {
      const s = new Float64Array(n);
      for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) s[i] += values[(f * C + c) * n + i];
      slices.push([C === 1 ? 0 : 'sum', s]);
    } else {
      for (let c = 0; c < C; c++) slices.push([c, Float64Array.from(values.subarray((f * C + c) * n, (f * C + c + 1) * n))]);
    }
    for (const [channel, slice] of slices) fits.push({ ...fitGabor(slice, kh, kw, o), filter: f, channel, values: slice });
  }
  const nb = o.baseline ?? 20;
  if (!(Number.isInteger(nb) && nb >= 0)) throw new HubelError('attribute', `gabor-fit: baseline must be a non-negative integer, found ${nb}`);
  const rng = new Rng(1);
  const noise = Array.from({ length: nb }, () => fitGabor(Float64Array.from({ length: n }, () => rng.normal()), kh, kw, o).r2);
  return { layer: node.name, shape: W.shape, kernel: [kh, kw], channels, fits, summary: summarizeR2(fits.map((x) => x.r2)), ...(nb ? { noiseBaseline: summarizeR2(noise) } : {}) };
}

/**
 * Each filter slice and its fit as one tile [kh, 2·kw + 1]: filter left, fit right, a white
 * column between. Both halves share one contrast scale (the tile's [min, max]), so a weak fit
 * looks weak.
 */
function pairTiles(r: ModelGaborFits): Float64Array {
  const [kh, kw] = r.kernel;
  const tw = 2 * kw + 1;
  const out = new Float64Array(r.fits.length * kh * tw);
  r.fits.forEach((fit, t) => {
    let hi = -Infinity;
    for (let i = 0; i < kh * kw; i++) hi = Math.max(hi, fit.values[i], fit.fitted[i]);
    for (let y = 0; y < kh; y++) {
      const row = (t * kh + y) * tw;
      for (let x = 0; x < kw; x++) {
        out[row + x] = fit.values[y * kw + x];
        out[row + kw + 1 + x] = fit.fitted[y * kw + x];
      }
      out[row + kw] = hi;
    }
  });
  return out;
}

/**
 * The fits as one PNG-ready grid: a tile per fitted slice, filter beside its Gabor fit (same
 * contrast scale), in fit order; `grid.columns` defaults to 8 tiles per row.
 */
export function gaborFitImage(r: ModelGaborFits, grid: GridOptions = {}): Image {
  const [kh, kw] = r.kernel;
  return tileGrid(pairTiles(r), r.fits.length, 1, kh, 2 * kw + 1, { columns: Math.min(8, r.fits.length), scale: Math.max(2, Math.round(72 / (2 * kw + 1))), ...grid });
}

/** The same grid as {@link gaborFitImage} as an SVG document, each tile captioned with its filter, channel and R². */
export function gaborFitSvg(r: ModelGaborFits): string {
  const [kh, kw] = r.kernel;
  const labels = r.fits.map((f) => `#${f.filter}${r.shape[1] > 1 ? ` ch ${f.channel}` : ''}\nR² ${f.r2.toFixed(2)}`);
  const s = r.summary;
  return labelledGridSvg(pairTiles(r), r.fits.length, 1, kh, 2 * kw + 1, labels, {
    columns: Math.min(8, r.fits.length),
    scale: Math.max(2, Math.round(72 / (2 * kw + 1))),
    absolute: false,
    title: `Gabor fits of ${r.layer} (filter | fit): R² median ${s.median.toFixed(2)}, quartiles ${s.q1.toFixed(2)}–${s.q3.toFixed(2)}`,
  });
}

/** One fit as plain data (no typed arrays), for JSON. */
export interface GaborFitRecord {
  /** Output channel. */
  readonly filter: number;
  /** Input channel, or 'sum'. */
  readonly channel: number | 'sum';
  /** Explained variance. */
  readonly r2: number;
  /** The fitted parameters. */
  readonly params: GaborFitParams;
}

/** The report as plain data: layer, weight shape, R² summary, the noise baseline and every fit's parameters. */
export function gaborFitReport(r: ModelGaborFits): { layer: string; shape: readonly number[]; channels: 'each' | 'sum'; summary: R2Summary; noiseBaseline?: R2Summary; fits: GaborFitRecord[] } {
  return {
    layer: r.layer,
    shape: r.shape,
    channels: r.channels,
    summary: r.summary,
    ...(r.noiseBaseline ? { noiseBaseline: r.noiseBaseline } : {}),
    fits: r.fits.map((f) => ({ filter: f.filter, channel: f.channel, r2: f.r2, params: f.params })),
  };
}

/** The fits as an aligned text table (θ and ψ in degrees, lengths in pixels), then the R² summary. */
export function formatGaborFits(r: ModelGaborFits): string {
  const head = ['filter', 'ch', 'R²', 'θ°', 'λ', 'σ', 'γ', 'ψ°', 'x0', 'y0', 'A'];
  const deg = (v: number) => ((v * 180) / Math.PI).toFixed(0);
  const body = r.fits.map((f) => {
    const p = f.params;
    return [String(f.filter), String(f.channel), f.r2.toFixed(3), deg(p.theta), p.wavelength.toFixed(2), p.sigma.toFixed(2), p.gamma.toFixed(2), deg(p.phase), p.x0.toFixed(2), p.y0.toFixed(2), p.amplitude.toPrecision(3)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const s = r.summary;
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  return [
    line(head),
    ...body.map(line),
    `R² over ${s.count} fits: median ${s.median.toFixed(3)}, quartiles ${s.q1.toFixed(3)} / ${s.q3.toFixed(3)}, min ${s.min.toFixed(3)}, max ${s.max.toFixed(3)}, mean ${s.mean.toFixed(3)}; above 0.5: ${pct(s.above['0.5'])}, 0.8: ${pct(s.above['0.8'])}, 0.9: ${pct(s.above['0.9'])}`,
    ...(r.noiseBaseline
      ? [`chance level: R² of ${r.noiseBaseline.count} white-noise ${r.kernel.join('×')} filters: median ${r.noiseBaseline.median.toFixed(3)}, quartiles ${r.noiseBaseline.q1.toFixed(3)} / ${r.noiseBaseline.q3.toFixed(3)}, max ${r.noiseBaseline.max.toFixed(3)}`]
      : []),
  ].join('\n');
}
