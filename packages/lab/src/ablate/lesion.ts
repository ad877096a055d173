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

/** A Markdown table of a lesion study: rank, unit, error, damage (percentage points), sorted by damage. */
export function formatLesionTable(r: LesionResult): string {
  const head = `Lesions of ${r.layer} (${r.op}, ${r.units} units; zeroed ${r.params.join(', ')} per unit) on ${r.examples} images; intact error ${pct(r.baseline)}\n\n`;
  const rows = r.lesions.map((l, i) => `| ${i + 1} | ${l.unit} | ${pct(l.error)} | ${signedPct(l.damage)} |`);
  return `${head}| rank | unit | error | damage (points) |\n| ---: | ---: | ---: | ---: |\n${rows.join('\n')}\n`;
}

/**
 * An SVG bar chart of a lesion study: one bar per unit in order of damage (error increase in
 * percentage points; bars below the axis where a lesion lowered the error).
 */
export function lesionBarsSvg(r: LesionResult): string {
  const n = r.lesions.length;
  const bw = Math.max(4, Math.min(24, Math.floor(720 / Math.max(1, n))));
  const left = 56;
  const top = 36;
  const h = 240;
  const w = left + n * bw + 16;
  const vals = r.lesions.map((l) => 100 * l.damage);
  const hi = Math.max(0.01, ...vals);
  const lo = Math.min(0, ...vals);
  const y = (v: number) => top + ((hi - v) / (hi - lo)) * h;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const bars = r.lesions
    .map((l, i) => {
      const v = vals[i];
      const y0 = Math.min(y(v), y(0));
      const bh = Math.max(0.5, Math.abs(y(v) - y(0)));
      return `<rect x="${left + i * bw + 1}" y="${y0.toFixed(2)}" width="${bw - 2}" height="${bh.toFixed(2)}" fill="${v >= 0 ? '#c0392b' : '#2980b9'}"><title>unit ${l.unit}: error ${pct(l.error)}, damage ${signedPct(l.damage)} points</title></rect>` +
        (bw >= 14 ? `<text x="${left + i * bw + bw / 2}" y="${top + h + 14}" font-size="9" text-anchor="middle">${l.unit}</text>` : '');
    })
    .join('\n');
  const ticks = [lo, (lo + hi) / 2, hi].map((v) => `<text x="${left - 6}" y="${(y(v) + 3).toFixed(2)}" font-size="10" text-anchor="end">${v.toFixed(2)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${top + h + 40}" font-family="sans-serif">
<text x="${left}" y="20" font-size="13">${esc(`lesions of ${r.layer}: error increase (points) per unit, intact error ${pct(r.baseline)}`)}</text>
${ticks}
<line x1="${left}" x2="${left + n * bw}" y1="${y(0).toFixed(2)}" y2="${y(0).toFixed(2)}" stroke="#333"/>
${bars}
<text x="${left}" y="${top + h + 32}" font-size="10">units sorted by damage</text>
</svg>
`;
}
