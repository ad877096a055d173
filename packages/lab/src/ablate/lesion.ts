/**
 * Lesions of a trained model: one output channel (conv) or unit (dense) of a layer is zeroed at a
 * time and the test error measured again, without retraining.
 *
 * How a unit is zeroed: by editing the producing layer's parameters, not through the per-node
 * forward hook. The hook's payload tensors belong to the run and are documented as read-only
 * (`peekSync` views must never be written through), and a write through them would not work on
 * backends whose memory is not on the host. Zeroing parameters works on every backend and
 * gives an exact zero: Conv (W [O, C/g, kh, kw] and B [O]) and Gemm (W [O, I] and B [O]) output
 * `W[u]·x + B[u] = 0`; an inference BatchNormalization outputs `scale[u]·x̂ + B[u] = 0`. The
 * parameters are restored after each lesion, so the model is unchanged afterwards.
 */
import { HubelError, layerLabel, type Dataset, type Model, type Node, type Tensor } from '@hubel/core';
import type { WholeLayerLesionResult } from './whole-layer.js';

/** Ops whose output channel u is exactly zero when row u of every trainable parameter is. */
const LESIONABLE = new Set(['Conv', 'Gemm', 'BatchNormalization']);

/** Options of {@link lesionLayer}. */
export interface LesionOptions {
  /** Examples per forward pass; default 256. */
  readonly batchSize?: number;
  /** Evaluate only the first `limit` examples; default all. */
  readonly limit?: number;
  /** Lesion only these unit indices; default every unit of the layer. */
  readonly units?: readonly number[];
  /** Called after each lesion (progress). */
  readonly onUnit?: (done: number, total: number) => void;
}

/** Test error with one unit of the layer zeroed. */
export interface UnitLesion {
  /** Channel (conv) or unit (dense) index: axis 1 of the layer's output. */
  readonly unit: number;
  /** Top-1 error with the unit zeroed. */
  readonly error: number;
  /** `error − baseline`: how much the lesion hurts (negative: it helps). */
  readonly damage: number;
}

/** What {@link lesionLayer} returns. */
export interface LesionResult {
  /** The lesioned node. */
  readonly layer: string;
  /** Its op, e.g. `Conv`. */
  readonly op: string;
  /** The parameters zeroed per unit, e.g. `['W', 'B']`. */
  readonly params: readonly string[];
  /** Units in the layer's output. */
  readonly units: number;
  /** Examples evaluated. */
  readonly examples: number;
  /** Top-1 error of the intact model. */
  readonly baseline: number;
  /** One entry per lesioned unit, sorted by damage (largest first; ties by unit index). */
  readonly lesions: readonly UnitLesion[];
  /** Wall time. */
  readonly seconds: number;
}

/**
 * Names of the nodes {@link lesionLayer} accepts: Conv, Gemm (Linear) and inference
 * BatchNormalization nodes with parameters, in topological order.
 */
export function lesionableLayers(model: Model): string[] {
  return model.nodes.filter((n) => lesionPlan(n) !== undefined).map((n) => n.name);
}

function lesionPlan(node: Node): { params: string[]; units: number } | undefined {
  if (node.layer.domain !== '' || !LESIONABLE.has(node.layer.type)) return undefined;
  if (node.layer.type === 'BatchNormalization' && node.attrs.trainingMode === true) return undefined;
  const params = Object.keys(node.paramSpecs).filter((p) => node.paramSpecs[p].trainable !== false);
  if (!params.length) return undefined;
  const units = node.params[params[0]].shape[0];
  if (!params.every((p) => node.params[p].shape[0] === units)) return undefined;
  return { params, units };
}

/**
 * Zeroes each output channel (conv) or unit (dense) of `layer` in turn and measures the top-1
 * error of `model` on `data` (eval mode, no retraining). The model's parameters are edited in
 * place for each lesion and restored afterwards, also when an error is thrown. Throws for an
 * unknown layer or one that cannot be lesioned, listing the layers that can, and for a model
 * whose output is not class scores [N, classes].
 */
export async function lesionLayer(model: Model, data: Dataset, layer: string, options: LesionOptions = {}): Promise<LesionResult> {
  const t0 = performance.now();
  const layers = lesionableLayers(model);
  const node = model.nodes.find((n) => n.name === layer);
  if (!node) throw new HubelError('attribute', `lesion: unknown layer '${layer}' (layers that can be lesioned: ${layers.join(', ') || 'none'})`);
  const plan = lesionPlan(node);
  if (!plan) throw new HubelError('attribute', `lesion: layer '${layer}' (${layerLabel(node.layer)}) has no per-unit weights to zero; layers that can be lesioned: ${layers.join(', ') || 'none'}`);
  const batchSize = options.batchSize ?? 256;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new HubelError('attribute', `lesion: batchSize must be a positive integer, found ${batchSize}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) throw new HubelError('attribute', `lesion: limit must be a positive integer, found ${options.limit}`);
  const examples = Math.min(options.limit ?? data.length, data.length);
  if (examples === 0) throw new HubelError('attribute', 'lesion: no examples to evaluate');
  const units = options.units ?? Array.from({ length: plan.units }, (_, i) => i);
  for (const u of units) if (!(Number.isInteger(u) && u >= 0 && u < plan.units)) throw new HubelError('attribute', `lesion: unit ${u} is outside [0, ${plan.units}) of layer '${layer}'`);

  const backend = model.backend;
  const saved = new Map<string, Float32Array>();
  for (const p of plan.params) saved.set(p, Float32Array.from(await node.params[p].read()));
  const write = (p: string, values: Float32Array) => {
    const src = backend.tensor(values, node.params[p].shape);
    try {
      backend.ops.assign(node.params[p], src);
    } finally {
      src.dispose();
    }
  };
  const baseline = await errorOf(model, data, examples, batchSize);
  const lesions: UnitLesion[] = [];
  try {
    for (const [i, u] of units.entries()) {
      for (const p of plan.params) {
        const values = saved.get(p)!.slice();
        const stride = values.length / plan.units;
        values.fill(0, u * stride, (u + 1) * stride);
        write(p, values);
      }
      const error = await errorOf(model, data, examples, batchSize);
      lesions.push({ unit: u, error, damage: error - baseline });
      for (const p of plan.params) write(p, saved.get(p)!);
      options.onUnit?.(i + 1, units.length);
    }
  } finally {
    for (const p of plan.params) write(p, saved.get(p)!);
  }
  lesions.sort((a, b) => b.damage - a.damage || a.unit - b.unit);
  return { layer, op: layerLabel(node.layer), params: plan.params, units: plan.units, examples, baseline, lesions, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Top-1 error of `model` on the first `count` examples of `data` (eval mode). Throws when the
 * model's output is not class scores [N, classes].
 */
export async function errorOf(model: Model, data: Dataset, count: number, batchSize = 256): Promise<number> {
  let wrong = 0;
  for (let s = 0; s < count; s += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, count - s) }, (_, i) => s + i);
    const { x, y } = data.batch(idx, model.backend);
    let out: Tensor | undefined;
    try {
      out = model.predict(x);
      if (out.shape.length !== 2 || out.shape[0] !== idx.length) throw new HubelError('shape', `lesion: the model's output is [${out.shape.join(', ')}], not class scores [N, classes]`);
      const scores = await out.read();
      const labels = await y.read();
      const k = out.shape[1];
      for (let i = 0; i < idx.length; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (scores[i * k + j] > scores[i * k + best]) best = j;
        if (best !== labels[i]) wrong++;
      }
    } finally {
      out?.dispose();
      x.dispose();
      y.dispose();
    }
  }
  return wrong / count;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const signedPct = (x: number) => `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(2)}`;

/**
 * A lesion study to report in one table and one chart: the unit lesions of one layer
 * ({@link lesionLayer}), the whole-layer lesions ({@link lesionWholeLayers}), or both (measured
 * on the same examples).
 */
export interface LesionReport {
  /** Unit lesions of one layer. */
  readonly units?: LesionResult;
  /** Whole layers replaced by identity, and the layers that cannot be. */
  readonly layers?: WholeLayerLesionResult;
}

/** One row of a lesion table: a unit zeroed or a whole layer replaced by identity. */
interface LesionRow {
  /** Table cell: the unit index, or e.g. `relu1 (Relu) → identity`. */
  readonly label: string;
  /** Under the bar: the unit index or the layer name. */
  readonly short: string;
  readonly error: number;
  readonly damage: number;
  readonly wholeLayer: boolean;
}

function reportOf(r: LesionResult | LesionReport): LesionReport {
  return 'lesions' in r ? { units: r } : r;
}

/** Unit rows then layer rows, merged by damage (a stable sort keeps each list's tie order, units first). */
function lesionRows(rep: LesionReport): LesionRow[] {
  const both = rep.units !== undefined && rep.layers !== undefined;
  const units: LesionRow[] = (rep.units?.lesions ?? []).map((l) => ({ label: both ? `${rep.units!.layer} unit ${l.unit}` : String(l.unit), short: String(l.unit), error: l.error, damage: l.damage, wholeLayer: false }));
  const layers: LesionRow[] = (rep.layers?.lesions ?? []).map((l) => ({ label: `${l.layer} (${l.op}) → identity`, short: l.layer, error: l.error, damage: l.damage, wholeLayer: true }));
  return [...units, ...layers].sort((a, b) => b.damage - a.damage);
}

function checkReport(rep: LesionReport): { examples: number; baseline: number } {
  const first = rep.units ?? rep.layers;
  if (!first) throw new HubelError('attribute', 'lesion report: no unit lesions and no whole-layer lesions to report');
  if (rep.units && rep.layers && (rep.units.examples !== rep.layers.examples || rep.units.baseline !== rep.layers.baseline)) {
    throw new HubelError('attribute', `lesion report: the unit lesions (${rep.units.examples} images, intact error ${pct(rep.units.baseline)}) and the whole-layer lesions (${rep.layers.examples} images, intact error ${pct(rep.layers.baseline)}) were not measured on the same examples`);
  }
  return { examples: first.examples, baseline: first.baseline };
}

/**
 * A Markdown table of a lesion study: rank, unit (or layer), error, damage (percentage points),
 * sorted by damage. With whole-layer lesions, their rows are ranked among the units' and the
 * layers whose shapes do not allow identity are listed under the table with the reason.
 */
export function formatLesionTable(r: LesionResult | LesionReport): string {
  const rep = reportOf(r);
  const { examples, baseline } = checkReport(rep);
  const what: string[] = [];
  if (rep.units) what.push(`${rep.units.layer} (${rep.units.op}, ${rep.units.units} units; zeroed ${rep.units.params.join(', ')} per unit)`);
  if (rep.layers) what.push(`whole layers replaced by identity (${rep.layers.lesions.length} of ${rep.layers.lesions.length + rep.layers.refused.length} layers allow it)`);
  const head = `Lesions of ${what.join(' and ')} on ${examples} images; intact error ${pct(baseline)}\n\n`;
  const rows = lesionRows(rep).map((l, i) => `| ${i + 1} | ${l.label} | ${pct(l.error)} | ${signedPct(l.damage)} |`);
  const column = rep.layers ? (rep.units ? 'unit or layer' : 'layer') : 'unit';
  const align = rep.layers ? ':---' : '---:';
  const refused = rep.layers?.refused.length ? `\nLayers whose shapes do not allow identity:\n\n${rep.layers.refused.map((x) => `- ${x.layer} (${x.op}): ${x.reason}`).join('\n')}\n` : '';
  return `${head}| rank | ${column} | error | damage (points) |\n| ---: | ${align} | ---: | ---: |\n${rows.join('\n')}\n${refused}`;
}

/**
 * An SVG bar chart of a lesion study: one bar per unit (and, with whole-layer lesions, per layer
 * replaced by identity, in other colours) in order of damage (error increase in percentage
 * points; bars below the axis where a lesion lowered the error).
 */
export function lesionBarsSvg(r: LesionResult | LesionReport): string {
  const rep = reportOf(r);
  const { baseline } = checkReport(rep);
  const rows = lesionRows(rep);
  const n = rows.length;
  const bw = Math.max(4, Math.min(24, Math.floor(720 / Math.max(1, n))));
  const left = 56;
  const top = 36;
  const h = 240;
  const w = Math.max(left + n * bw + 16, rep.layers ? 560 : 0);
  const vals = rows.map((l) => 100 * l.damage);
  const hi = Math.max(0.01, ...vals);
  const lo = Math.min(0, ...vals);
  const y = (v: number) => top + ((hi - v) / (hi - lo)) * h;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const colour = (l: LesionRow, v: number) => (l.wholeLayer ? (v >= 0 ? '#8e44ad' : '#16a085') : v >= 0 ? '#c0392b' : '#2980b9');
  const bars = rows
    .map((l, i) => {
      const v = vals[i];
      const y0 = Math.min(y(v), y(0));
      const bh = Math.max(0.5, Math.abs(y(v) - y(0)));
      const name = l.wholeLayer ? `layer ${esc(l.label)}` : `unit ${l.short}`;
      const x = left + i * bw + bw / 2;
      // Layer bars are few: named even where unit bars are too narrow for their numbers.
      const label = l.wholeLayer
        ? `<text x="${x}" y="${top + h + 10}" font-size="9" text-anchor="end" transform="rotate(-60 ${x} ${top + h + 10})">${esc(l.short)}</text>`
        : bw < 14
          ? ''
          : `<text x="${x}" y="${top + h + 14}" font-size="9" text-anchor="middle">${l.short}</text>`;
      return `<rect x="${left + i * bw + 1}" y="${y0.toFixed(2)}" width="${bw - 2}" height="${bh.toFixed(2)}" fill="${colour(l, v)}"><title>${name}: error ${pct(l.error)}, damage ${signedPct(l.damage)} points</title></rect>` + label;
    })
    .join('\n');
  const ticks = [lo, (lo + hi) / 2, hi].map((v) => `<text x="${left - 6}" y="${(y(v) + 3).toFixed(2)}" font-size="10" text-anchor="end">${v.toFixed(2)}</text>`).join('');
  const title = rep.units && rep.layers ? `lesions of ${rep.units.layer} (units) and of whole layers` : rep.units ? `lesions of ${rep.units.layer}` : 'whole layers replaced by identity';
  const axis = rep.layers
    ? `${rep.units ? '<tspan fill="#c0392b">units</tspan> and ' : ''}<tspan fill="#8e44ad">whole layers</tspan> sorted by damage`
    : 'units sorted by damage';
  const bottom = rep.layers ? 70 : 32;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${top + h + bottom + 8}" font-family="sans-serif">
<text x="${left}" y="20" font-size="13">${esc(`${title}: error increase (points)${rep.layers ? '' : ' per unit'}, intact error ${pct(baseline)}`)}</text>
${ticks}
<line x1="${left}" x2="${left + n * bw}" y1="${y(0).toFixed(2)}" y2="${y(0).toFixed(2)}" stroke="#333"/>
${bars}
<text x="${left}" y="${top + h + bottom}" font-size="10">${axis}</text>
</svg>
`;
}
