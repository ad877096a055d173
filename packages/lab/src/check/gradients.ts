// The whole-model finite-difference check: core's checkModelGradients perturbs every scalar it
// is asked about (central differences, float64), and reports per tensor; here that becomes one
// verdict per tensor against a threshold, with the input as a tensor like the others.
import { HubelError, Rng, sizeOf, type Mode, type Model } from '@hubel/core';
import { checkModelGradients } from '@hubel/core/testing';

/** Options of {@link gradientCheck}. */
export interface GradientCheckOptions {
  /** The batch fed to the model's input ([B, ...example shape], e.g. two images); default `batch` seeded uniform values in [0, 1). */
  readonly input?: { readonly shape: readonly number[]; readonly values: ArrayLike<number> };
  /** Examples in the default random batch; default 2. */
  readonly batch?: number;
  /**
   * Largest accepted relative error |backward − finite difference| / max(|backward|, |finite
   * difference|, 1) per scalar; default 1e-4. A correct float64 backward scores ~1e-8 or
   * better on the zoo models; a wrong one scores 1e-2 and up.
   */
  readonly threshold?: number;
  /**
   * Scalars at a kink (ReLU at 0, a max-pool tie) are skipped when the one-sided slopes differ
   * by more than `kink`·max(1, |slope|); default the threshold. A kink crossed with a smaller
   * jump in slope moves the central difference by at most half the jump, so with
   * kink = threshold such a scalar cannot fail the check by itself.
   */
  readonly kink?: number;
  /** Perturbation ε; default 1e-6. */
  readonly eps?: number;
  /** At most this many scalars per tensor, evenly spaced (finite differences cost two forward passes per scalar); default 40. */
  readonly maxPerTensor?: number;
  /** Seed of the random batch, the output projection and the dropout mask; default 1. */
  readonly seed?: number;
  /** Mode the model runs in; default `'train'` (batch statistics in batch norm, a fixed dropout mask), the gradients training uses. */
  readonly mode?: Mode;
  /** Refuse (HubelError) when the check would take longer than this, estimated from one timed forward pass; default no limit. */
  readonly maxSeconds?: number;
}

/** The check of one tensor: the model's input or one parameter tensor. */
export interface TensorGradientCheck {
  /** The graph input's name, or the parameter key `node.param`. */
  readonly name: string;
  /** Whether this is the input batch or a parameter tensor. */
  readonly kind: 'input' | 'parameter';
  /** The tensor's shape. */
  readonly shape: readonly number[];
  /** Scalars in the tensor. */
  readonly size: number;
  /** Scalars compared. */
  readonly checked: number;
  /** Scalars skipped at kinks. */
  readonly skipped: number;
  /** Worst relative error over the compared scalars (Infinity for a NaN difference). */
  readonly worst: number;
  /** Within the threshold, at least one scalar compared, and no more skipped than compared. */
  readonly ok: boolean;
  /** Where the worst error was: flat index, backward's value and the finite difference. */
  readonly at?: { readonly index: number; readonly analytic: number; readonly numeric: number };
}

/** What {@link gradientCheck} returns. */
export interface GradientCheckResult {
  /** One entry per tensor: the input first, then every trainable parameter tensor in node order. */
  readonly tensors: readonly TensorGradientCheck[];
  /** Every tensor ok. */
  readonly ok: boolean;
  /** The threshold applied. */
  readonly threshold: number;
  /** The seed, to reproduce a failure. */
  readonly seed: number;
  /** One line saying what was checked and how (backend, batch, mode, ε, sampling, seed, threshold). */
  readonly header: string;
  /** Wall time of the check. */
  readonly seconds: number;
}

/**
 * Checks every parameter tensor of `model` and its input by central finite differences against
 * backward, on a tiny batch. The model must live on a float64 backend (e.g. a CPU backend
 * created with `{ dtype: 'float64' }`: load or build the model there); its parameters are
 * perturbed and restored. The scalar cost is C = Σ r·y over the outputs with a fixed random
 * projection r (or the model's `loss` output). State the passes change (batch norm's running
 * statistics in train mode) is restored afterwards. Returns the per-tensor verdicts; does not throw
 * on a failed check. Throws a HubelError for a float32 model, a model with several inputs, a
 * bad option, or a check estimated to exceed `maxSeconds`.
 */
export async function gradientCheck(model: Model, options: GradientCheckOptions = {}): Promise<GradientCheckResult> {
  const t0 = performance.now();
  const backend = model.backend;
  if (backend.floatType !== 'float64') {
    throw new HubelError('dtype', `gradient check: the model is on a ${backend.floatType} backend; finite differences need float64 (rebuild or load it on createCpuBackend({ dtype: 'float64' }))`);
  }
  if (model.inputs.length !== 1) throw new HubelError('graph', `gradient check: the model must have one graph input, found ${model.inputs.length}: ${model.inputs.map((i) => i.name).join(', ')}`);
  const threshold = options.threshold ?? 1e-4;
  const maxPerTensor = options.maxPerTensor ?? 40;
  const seed = options.seed ?? 1;
  const eps = options.eps ?? 1e-6;
  const mode = options.mode ?? 'train';
  const bad = (what: string, want: string, found: unknown) => new HubelError('attribute', `gradient check: ${what} must be ${want}, found ${found}`);
  if (!(threshold > 0)) throw bad('threshold', 'positive', threshold);
  if (!(Number.isInteger(maxPerTensor) && maxPerTensor >= 1)) throw bad('maxPerTensor', 'a positive integer', maxPerTensor);
  if (!(eps > 0)) throw bad('eps', 'positive', eps);
  const kink = options.kink ?? threshold;
  const input = model.inputs[0];
  const feed = options.input ? checkedInput(options.input, input.shape, input.name) : randomInput(input.shape, input.name, options.batch ?? 2, seed);

  const params = model.params().filter((p) => p.trainable);
  const targets = [
    { name: input.name, kind: 'input' as const, shape: feed.shape as readonly number[] },
    ...params.map((p) => ({ name: p.key, kind: 'parameter' as const, shape: p.tensor.shape })),
  ];
  const counts = targets.map((t) => sampleCount(t.shape, maxPerTensor));
  // Train-mode passes update state such as batch norm's running statistics: it is put back at the end.
  const state = await Promise.all(model.params().filter((p) => !p.trainable).map(async (p) => ({ node: p.node, name: p.name, values: await p.tensor.read() })));
  const tensors: TensorGradientCheck[] = [];
  try {
    if (options.maxSeconds !== undefined) {
      const estimate = estimateSeconds(model, feed, input.name, mode, seed, targets.map((t) => sizeOf(t.shape)), counts, options.maxSeconds);
      if (estimate.seconds > options.maxSeconds) {
        throw new HubelError(
          'attribute',
          `gradient check: too large for finite differences: ${estimate.forwards} forward passes of a batch ${fmt(feed.shape)} at ${estimate.forwardMs.toFixed(1)} ms each ` +
            `(plus re-uploading each perturbed tensor) ≈ ${estimate.seconds.toFixed(0)} s, over the limit of ${options.maxSeconds} s; use a smaller input or fewer scalars per tensor (about ${estimate.fits} would fit)`,
        );
      }
    }
    // One call per tensor, each with its own sample count; every call reseeds the projection and
    // the dropout mask, so all of them check the same cost function.
    const feeds = { [input.name]: { shape: feed.shape, values: feed.values } };
    for (let k = 0; k < targets.length; k++) {
      const t = targets[k];
      const which = t.kind === 'input' ? { differentiate: [t.name], params: [] } : { differentiate: [], params: [t.name] };
      const report = await checkModelGradients(model, { feeds, ...which }, { eps, tolerance: threshold, seed, mode, kink, maxPerTensor: counts[k] });
      const e = report.entries[0];
      tensors.push({
        name: t.name,
        kind: t.kind,
        shape: t.shape,
        size: sizeOf(t.shape),
        checked: e.checked,
        skipped: e.skipped,
        worst: e.maxRelError,
        ok: e.maxRelError <= threshold && e.checked > 0 && e.skipped <= e.checked,
        ...(e.worst ? { at: e.worst } : {}),
      });
    }
  } finally {
    for (const { node, name, values } of state) {
      const src = backend.tensor(values, node.params[name].shape);
      backend.ops.assign(node.params[name], src);
      src.dispose();
    }
  }
  const header =
    `gradient check: ${backend.name}/${backend.floatType}, input ${input.name} ${fmt(feed.shape)}, ${mode} mode, central differences ε ${sci(eps)}, ` +
    `at most ${maxPerTensor} scalars per tensor (evenly spaced, spread over rows and columns), seed ${seed}, threshold ${sci(threshold)} (kinks skipped when one-sided slopes differ by > ${sci(kink)})`;
  return { tensors, ok: tensors.length > 0 && tensors.every((t) => t.ok), threshold, seed, header, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Time of the check, from one warm forward pass (the second of two) and one upload of the largest
 * parameter: core's checker runs two forward passes per scalar and uploads the whole perturbed
 * tensor each time.
 */
function estimateSeconds(
  model: Model,
  feed: { shape: number[]; values: Float64Array },
  name: string,
  mode: Mode,
  seed: number,
  sizes: readonly number[],
  counts: readonly number[],
  maxSeconds: number,
): { seconds: number; forwards: number; forwardMs: number; fits: number } {
  const backend = model.backend;
  const x = backend.tensor(feed.values, feed.shape);
  let forwardMs = 0;
  try {
    for (let i = 0; i < 2; i++) {
      const t = performance.now();
      model.forward({ [name]: x }, { mode, rng: new Rng(seed) }).dispose();
      forwardMs = performance.now() - t;
    }
  } finally {
    x.dispose();
  }
  const largest = Math.max(1, ...sizes);
  const t = performance.now();
  backend.tensor(new Float64Array(largest), [largest]).dispose();
  const msPerValue = (performance.now() - t) / largest;
  // sizes[0] is the input, re-uploaded like a parameter; each tensor's call adds one forward and backward (~3 forwards).
  const forwards = counts.reduce((s, n) => s + 2 * n + 3, 0);
  const uploadMs = sizes.reduce((s, n, k) => s + 2 * counts[k] * n * msPerValue, 0);
  // The largest per-tensor count that fits: each scalar costs two forward passes plus two uploads of its tensor.
  const perScalarRound = 2 * (forwardMs * sizes.length + sizes.reduce((s, n) => s + n * msPerValue, 0));
  const fits = Math.max(0, Math.floor((maxSeconds * 1000 - 3 * sizes.length * forwardMs) / perScalarRound));
  return { seconds: (forwards * forwardMs + uploadMs) / 1000, forwards, forwardMs, fits };
}

/**
 * How many scalars of a tensor to check, at most `max`: core's checker takes them evenly spaced
 * from index 0 with step size/n, and a step that is a multiple of a row (784 for a [10, 784]
 * matrix and n = 40) samples one column over and over, often one whose gradient is exactly 0.
 * Among n in [max/2, max], the one whose samples cover the most distinct rows and columns wins.
 */
function sampleCount(shape: readonly number[], max: number): number {
  const size = sizeOf(shape);
  if (size <= max) return size;
  const cols = shape.at(-1) ?? 1;
  let best = max;
  let bestScore = -1;
  for (let n = max; n >= Math.ceil(max / 2); n--) {
    const rows = new Set<number>();
    const columns = new Set<number>();
    for (let f = 0; f < size; f += size / n) {
      const i = Math.floor(f);
      rows.add(Math.floor(i / cols));
      columns.add(i % cols);
    }
    if (rows.size + columns.size > bestScore) {
      best = n;
      bestScore = rows.size + columns.size;
    }
  }
  return best;
}

const sci = (x: number) => x.toExponential();
const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function checkedInput(given: { shape: readonly number[]; values: ArrayLike<number> }, want: readonly (number | null)[], name: string): { shape: number[]; values: Float64Array } {
  const ok = given.shape.length === want.length && want.every((d, i) => d === null || d === given.shape[i]);
  if (!ok) throw new HubelError('shape', `gradient check: input ${name} expects ${fmt(want.map((d) => d ?? -1)).replace(/-1/g, 'N')}, found ${fmt(given.shape)}`);
  if (given.values.length !== sizeOf(given.shape)) throw new HubelError('shape', `gradient check: ${given.values.length} input values for shape ${fmt(given.shape)}`);
  return { shape: [...given.shape], values: Float64Array.from(given.values) };
}

function randomInput(want: readonly (number | null)[], name: string, batch: number, seed: number): { shape: number[]; values: Float64Array } {
  if (!(Number.isInteger(batch) && batch >= 1)) throw new HubelError('attribute', `gradient check: batch must be a positive integer, found ${batch}`);
  if (want.slice(1).some((d) => d === null)) throw new HubelError('shape', `gradient check: input ${name} has symbolic sizes besides the batch; pass options.input`);
  const shape = [batch, ...(want.slice(1) as number[])];
  const r = new Rng(seed);
  return { shape, values: Float64Array.from({ length: sizeOf(shape) }, () => r.uniform()) };
}
