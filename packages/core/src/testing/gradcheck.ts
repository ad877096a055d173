import type { Backend } from '../backend.js';
import type { LayerCase } from '../cases.js';
import type { Model } from '../graph/model.js';
import type { Mode } from '../kernel.js';
import { layerLabel } from '../layer.js';
import type { Registry } from '../registry.js';
import { Rng } from '../rng.js';
import { sizeOf, type Shape, type Tensor } from '../tensor.js';
import { buildCaseModel, drawInputs, type DrawnInput } from './case-runner.js';

/**
 * Finite-difference gradient checking (central differences), Torch7's testJacobian and
 * testJacobianParameters in one: every differentiable input and every trainable parameter
 * is perturbed scalar by scalar and ∂C/∂θ ≈ (C(θ+ε) − C(θ−ε)) / 2ε is compared with backward.
 * C is the model's 'loss' output when it has one, else Σ r·y over every output with a fixed
 * random projection r. Run it on a float64 backend.
 */
export interface GradCheckOptions {
  /** Perturbation; default 1e-6 (float64). */
  readonly eps?: number;
  /**
   * Largest accepted |analytic − numeric| / max(|analytic|, |numeric|, 1) (Caffe's scaling).
   * Default 1e-6: in float64 with ε = 1e-6 the central difference has truncation error
   * ~ε²·C''' ≈ 1e-12 and round-off ~1e-16·|C|/ε ≈ 1e-10·|C|, far below it for |C| < 100.
   */
  readonly tolerance?: number;
  /** Seed of the projection r, the dropout stream and (in layer checks) inputs and parameters; default 1. It is in the report. */
  readonly seed?: number;
  /** Mode the model runs in; default `'train'`. */
  readonly mode?: Mode;
  /**
   * When set, scalars sitting on a kink (ReLU at 0, max-pool ties) are skipped: the one-sided
   * slopes (C(θ+ε) − C(θ))/ε and (C(θ) − C(θ−ε))/ε differ by more than kink·max(1, |slope|).
   * A smooth function's slopes differ by |C''|·ε, so this only triggers on real kinks.
   */
  readonly kink?: number;
  /** Check at most this many scalars per tensor (evenly spaced); default all. */
  readonly maxPerTensor?: number;
}

/** The result for one checked tensor (an input or a parameter). */
export interface GradCheckEntry {
  /** `x0`, `x1`, ... for inputs; `node.param` for parameters. */
  readonly name: string;
  /** Scalars compared. */
  readonly checked: number;
  /** Scalars skipped at kinks (see {@link GradCheckOptions.kink}). */
  readonly skipped: number;
  /** Largest relative error found (Infinity when a difference was NaN). */
  readonly maxRelError: number;
  /** Where the largest error was: flat index, backward's value and the finite difference. */
  readonly worst?: { readonly index: number; readonly analytic: number; readonly numeric: number };
}

/** What the checkers return: one entry per tensor and a verdict; they do not throw on failure. */
export interface GradCheckReport {
  /** One entry per checked input or parameter, inputs first. */
  readonly entries: readonly GradCheckEntry[];
  /** The tolerance applied. */
  readonly tolerance: number;
  /** The seed used, to reproduce a failure. */
  readonly seed: number;
  /** True when every entry is within tolerance, checked at least one scalar and skipped no more than it checked. */
  readonly ok: boolean;
  /** A printable report: seed, tolerance, backend and one line per entry (with the worst scalar when failing). */
  readonly summary: string;
}

/** What {@link checkModelGradients} checks: host feeds, and which inputs and parameters to differentiate. */
export interface ModelGradCheckInput {
  /** Host values per graph input; float inputs listed in `differentiate` are checked. */
  readonly feeds: Readonly<Record<string, { readonly shape: Shape; readonly values: Float64Array | Int32Array | Float32Array; readonly dtype?: 'float' | 'int32' }>>;
  /** Graph inputs to check ∂C/∂x for (default: none). Every trainable parameter is checked. */
  readonly differentiate?: readonly string[];
  /** Only these parameter keys (default: all trainable). */
  readonly params?: readonly string[];
}

/** Whole-graph check: inputs listed in `differentiate` and every trainable parameter. */
export async function checkModelGradients(model: Model, input: ModelGradCheckInput, options: GradCheckOptions = {}): Promise<GradCheckReport> {
  const backend = model.backend;
  const seed = options.seed ?? 1;
  const eps = options.eps ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-6;
  const mode = options.mode ?? 'train';
  const feedValues = new Map(Object.entries(input.feeds).map(([k, v]) => [k, { ...v, values: Float64Array.from(v.values as ArrayLike<number>) }]));
  const upload = (name: string, values: Float64Array) => {
    const f = feedValues.get(name)!;
    return backend.tensor(values, f.shape, f.dtype === 'int32' ? 'int32' : undefined);
  };
  const feeds: Record<string, Tensor> = {};
  for (const [k, v] of feedValues) feeds[k] = upload(k, v.values);

  const useLoss = model.outputs.includes('loss');
  let proj: Float64Array[] | undefined;
  const cost = async (f: Record<string, Tensor>, withGrads: boolean) => {
    // Reseeded every time, so stochastic layers (dropout) draw the same mask in each evaluation.
    const run = model.forward(f, { mode, rng: new Rng(seed + 1), forBackward: withGrads });
    try {
      const outs = useLoss ? ['loss'] : model.outputs;
      if (!proj) {
        const r = new Rng(seed + 2);
        proj = outs.map((o) => Float64Array.from({ length: run.get(o).size }, () => (useLoss ? 1 : r.range(-1, 1))));
      }
      let c = 0;
      for (let i = 0; i < outs.length; i++) {
        const y = await run.get(outs[i]).read();
        for (let j = 0; j < y.length; j++) c += proj[i][j] * y[j];
      }
      if (!withGrads) return { c };
      const seeds: Record<string, Tensor> = {};
      outs.forEach((o, i) => (seeds[o] = backend.tensor(proj![i], run.get(o).shape)));
      const g = run.backward({ seeds, inputs: input.differentiate ?? [] });
      for (const s of Object.values(seeds)) s.dispose();
      return { c, grads: g };
    } finally {
      run.dispose();
    }
  };

  const entries: GradCheckEntry[] = [];
  try {
    const base = await cost(feeds, true);
    const analytic = new Map<string, Float64Array>();
    for (const [k, t] of base.grads!.inputs) analytic.set(k, Float64Array.from(await t.read()));
    for (const [k, t] of base.grads!.params) analytic.set(k, Float64Array.from(await t.read()));
    base.grads!.dispose();
    const c0 = base.c;

    const compare = async (name: string, size: number, evalAt: (index: number, delta: number) => Promise<number>) => {
      const a = analytic.get(name);
      if (!a) throw new Error(`gradient check: backward produced no gradient for '${name}'`);
      let maxRel = 0;
      let worst: GradCheckEntry['worst'];
      let checked = 0;
      let skipped = 0;
      const step = options.maxPerTensor && size > options.maxPerTensor ? size / options.maxPerTensor : 1;
      for (let f = 0; f < size; f += step) {
        const i = Math.floor(f);
        const cp = await evalAt(i, eps);
        const cm = await evalAt(i, -eps);
        const numeric = (cp - cm) / (2 * eps);
        if (options.kink !== undefined) {
          const sp = (cp - c0) / eps;
          const sm = (c0 - cm) / eps;
          if (Math.abs(sp - sm) > options.kink * Math.max(1, Math.abs(numeric))) {
            skipped++;
            continue;
          }
        }
        checked++;
        const rel = Math.abs(a[i] - numeric) / Math.max(Math.abs(a[i]), Math.abs(numeric), 1);
        if (rel > maxRel || Number.isNaN(rel)) {
          maxRel = Number.isNaN(rel) ? Infinity : rel;
          worst = { index: i, analytic: a[i], numeric };
        }
      }
      entries.push({ name, checked, skipped, maxRelError: maxRel, worst });
    };

    for (const name of input.differentiate ?? []) {
      const f = feedValues.get(name)!;
      const values = f.values;
      await compare(name, values.length, async (i, d) => {
        const old = values[i];
        values[i] = old + d;
        const t = upload(name, values);
        values[i] = old;
        try {
          return (await cost({ ...feeds, [name]: t }, false)).c;
        } finally {
          t.dispose();
        }
      });
    }
    const wanted = input.params ? new Set(input.params) : undefined;
    for (const p of model.params()) {
      if (!p.trainable || (wanted && !wanted.has(p.key))) continue;
      const values = Float64Array.from(await p.tensor.read());
      const original = p.node.params[p.name];
      await compare(p.key, values.length, async (i, d) => {
        const old = values[i];
        values[i] = old + d;
        const t = backend.tensor(values, original.shape);
        values[i] = old;
        p.node.params[p.name] = t;
        try {
          return (await cost(feeds, false)).c;
        } finally {
          p.node.params[p.name] = original;
          t.dispose();
        }
      });
    }
  } finally {
    for (const t of Object.values(feeds)) t.dispose();
  }
  const bad = entries.filter((e) => !(e.maxRelError <= tolerance) || e.checked === 0 || e.skipped > e.checked);
  const lines = entries.map(
    (e) =>
      `  ${e.name}: max rel error ${e.maxRelError.toExponential(2)} over ${e.checked} scalars` +
      (e.skipped ? ` (${e.skipped} skipped at kinks)` : '') +
      (e.worst && e.maxRelError > tolerance ? ` — worst at [${e.worst.index}]: analytic ${e.worst.analytic}, numeric ${e.worst.numeric}` : ''),
  );
  return {
    entries,
    tolerance,
    seed,
    ok: bad.length === 0 && entries.length > 0,
    summary: `gradient check (seed ${seed}, tolerance ${tolerance}, backend ${backend.name}/${backend.floatType}):\n${lines.join('\n')}`,
  };
}

/**
 * Checks one layer case: ∂C/∂x for every differentiable input and ∂C/∂w for every
 * parameter, separately. `backend` should be a float64 CPU backend.
 */
export async function checkLayerGradients(c: LayerCase, backend: Backend, options: GradCheckOptions & { registry?: Registry } = {}): Promise<GradCheckReport> {
  const seed = options.seed ?? 1;
  const inputs: DrawnInput[] = drawInputs(c, new Rng(seed));
  const model = buildCaseModel(c, backend, { registry: options.registry, seed, inputs });
  try {
    const feeds: ModelGradCheckInput['feeds'] = Object.fromEntries(inputs.map((inp, i) => [`x${i}`, inp]));
    const report = await checkModelGradients(
      model,
      { feeds, differentiate: inputs.flatMap((inp, i) => (inp.grad ? [`x${i}`] : [])) },
      { kink: c.kink, mode: c.mode ?? 'train', ...options, seed },
    );
    return { ...report, summary: `${layerLabel(c.layer)} '${c.name}' ${report.summary}` };
  } finally {
    model.dispose();
  }
}

/** Throws with the report's summary unless it passed. */
export function assertGradients(report: GradCheckReport): void {
  if (!report.ok) throw new Error(`gradient check failed\n${report.summary}`);
}

export function scalarCount(c: LayerCase): number {
  return c.inputs.reduce<number>((s, g) => s + sizeOf(Array.isArray(g) ? (g as Shape) : (g as { shape: Shape }).shape), 0);
}
