// The lecture's first debugging step: a network that cannot drive its training error to zero on
// a handful of images, with every regularizer off, has a bug or a bad learning rate, and no
// amount of data will fix it. Training runs through core's Trainer, one epoch per fit() call,
// with the error measured in eval mode over the same images after each epoch.
import { Adam, HubelError, Model, Sgd, Trainer, type AnyLayer, type Batch, type Backend, type Dataset, type Optimizer, type ParamRef, type TrainerPlugin } from '@hubel/core';
import { countDeadUnits, type DeadUnitCount } from './dead-units.js';

/** Options of {@link overfitCheck}. */
export interface OverfitOptions {
  /** Train on the first `limit` examples of the data set (all of them when it has fewer); default 100. */
  readonly limit?: number;
  /** Step budget: training stops after the epoch in which it is reached; default 500. */
  readonly steps?: number;
  /** Examples per optimizer step; default min(20, N). */
  readonly batchSize?: number;
  /** `'adam'` (default) or `'sgd'` (momentum 0.9); no weight decay either way. */
  readonly optimizer?: 'adam' | 'sgd';
  /** Learning rate; default 1e-3 for Adam, 0.05 for SGD. */
  readonly lr?: number;
  /** Seed of the shuffle and dropout streams; default 1. */
  readonly seed?: number;
  /**
   * Loss layer appended to the model's first output; default the registry's
   * SoftmaxCrossEntropyLoss (a HubelError when it is not registered).
   */
  readonly loss?: AnyLayer;
  /**
   * Extra trainer plugins. Their `finalize` taps run after every epoch, before the error is
   * measured: pass `BatchNormFinalizer` (from `@hubel/layers-norm`) so a batch-norm model is
   * measured with its exact statistics over the N images rather than running averages.
   */
  readonly plugins?: readonly TrainerPlugin[];
  /**
   * A ReLU layer with at least this fraction of dead units at the end is named as a cause;
   * default 0.7 (a healthy fully connected ReLU layer fed by ReLUs can have half its units
   * silent on 100 similar images, even at initialization).
   */
  readonly deadFraction?: number;
  /** Called after each measurement (the step-0 one included), e.g. to print progress. */
  readonly onPoint?: (point: OverfitPoint) => void;
}

/** One measurement of the training error, after `step` optimizer steps. */
export interface OverfitPoint {
  /** Optimizer steps taken so far (0: before training). */
  readonly step: number;
  /** Mean loss over the N images in eval mode (NaN or Infinity when training diverged). */
  readonly loss: number;
  /** Top-1 error over the N images in eval mode, in [0, 1]; a tie for the top score or a NaN score counts as an error. */
  readonly error: number;
  /**
   * Size of one optimizer step relative to the weights since the previous measurement:
   * ‖Θ − Θ_prev‖ / ‖Θ_prev‖ over all trainable parameters Θ, divided by the steps taken (NaN at
   * step 0). The lecture's rule of thumb: around 1e-3 is healthy.
   */
  readonly updateRatio: number;
  /** Seconds since training started. */
  readonly seconds: number;
}

/** What {@link overfitCheck} returns. */
export interface OverfitResult {
  /** `'reached'`: training error 0 within the budget; `'stuck'`: it was not. */
  readonly verdict: 'reached' | 'stuck';
  /** Number of training images N. */
  readonly examples: number;
  /** Optimizer steps taken. */
  readonly steps: number;
  /** The training-error curve: one point per epoch, the first before any step. */
  readonly curve: readonly OverfitPoint[];
  /** Training error at the end, in [0, 1]. */
  readonly finalError: number;
  /** Dead units per ReLU layer at the end, over the N images. */
  readonly deadUnits: readonly DeadUnitCount[];
  /** Dead units per ReLU layer before training, over the N images. */
  readonly deadUnitsAtStart: readonly DeadUnitCount[];
  /** Likely causes it can see, one sentence each; empty when it reached 0. */
  readonly causes: readonly string[];
  /** Wall time of the whole check. */
  readonly seconds: number;
  /** What was run: optimizer, learning rate, batch size, and the dropout nodes switched off. */
  readonly settings: { readonly optimizer: 'adam' | 'sgd'; readonly lr: number; readonly batchSize: number; readonly dropoutOff: readonly string[] };
}

/**
 * Trains `model` in place on the first N examples of `data` (classification: int32 labels)
 * with regularization off — every Dropout node runs with ratio 0, no weight decay, the data as
 * given (no augmentation) — until the training error, measured in eval mode over the N images
 * after each epoch, reaches 0 or the step budget runs out. When it does not reach 0 the result
 * names the likely causes it can see: a learning rate too high (loss NaN or rising), too low
 * (loss barely moved), ReLU layers with many dead units, or a budget too small.
 *
 * The model's parameters are changed (it is trained); its own Dropout nodes are left as they
 * were (a view with ratio 0 is trained). Throws a HubelError for bad options, a model with
 * several inputs, or data without class labels.
 */
export async function overfitCheck(model: Model, data: Dataset, options: OverfitOptions = {}): Promise<OverfitResult> {
  const t0 = performance.now();
  const o = resolveOptions(model, data, options);
  const train = firstExamples(data, o.n);
  const { view, dropoutOff } = withoutDropout(model);
  const optimizer: Optimizer = o.optimizer === 'sgd' ? new Sgd({ lr: o.lr, momentum: 0.9, weightDecay: 0 }) : new Adam({ lr: o.lr, weightDecay: 0 });
  let diverged: number | undefined;
  const trainer = new Trainer({ model: view, loss: o.loss, optimizer, seed: o.seed, plugins: options.plugins });
  trainer.hooks.batchEnd.tap('OverfitCheck', (b) => {
    if (!Number.isFinite(b.loss) && diverged === undefined) {
      diverged = b.step;
      trainer.requestStop('diverged');
    }
  });
  const curve: OverfitPoint[] = [];
  const params = view.params().filter((p) => p.trainable);
  let previous = { step: 0, weights: await readAll(params) };
  const measure = async () => {
    const { loss, error } = await evaluateStrict(view, o.loss, train, Math.max(o.batchSize, 100));
    const step = optimizer.stepCount;
    const weights = await readAll(params);
    const updateRatio = step > previous.step ? relativeChange(weights, previous.weights) / (step - previous.step) : NaN;
    previous = { step, weights };
    const point: OverfitPoint = { step, loss, error, updateRatio, seconds: (performance.now() - t0) / 1000 };
    curve.push(point);
    options.onPoint?.(point);
    return point;
  };
  let deadUnits: DeadUnitCount[];
  let deadAtStart: DeadUnitCount[];
  try {
    // The step-0 measurement sees what every later one sees: finalized statistics, if a plugin finalizes.
    await trainer.hooks.finalize.promise({ model: view, train, batchSize: o.batchSize });
    deadAtStart = await countDeadUnits(view, train);
    let last = await measure();
    for (let epoch = 1; last.error > 0 && optimizer.stepCount < o.steps && diverged === undefined; epoch++) {
      await trainer.fit({ train, epochs: epoch, batchSize: o.batchSize });
      last = await measure();
    }
    deadUnits = await countDeadUnits(view, train);
  } finally {
    optimizer.dispose();
  }
  const final = curve.at(-1)!;
  const verdict = final.error === 0 ? 'reached' : 'stuck';
  const settings = { optimizer: o.optimizer, lr: o.lr, batchSize: o.batchSize, dropoutOff };
  const causes = verdict === 'reached' ? [] : likelyCauses(curve, deadAtStart, deadUnits, diverged, o);
  return { verdict, examples: o.n, steps: optimizer.stepCount, curve, finalError: final.error, deadUnits, deadUnitsAtStart: deadAtStart, causes, seconds: (performance.now() - t0) / 1000, settings };
}

interface Resolved {
  readonly n: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly optimizer: 'adam' | 'sgd';
  readonly lr: number;
  readonly seed: number;
  readonly loss: AnyLayer;
  readonly deadFraction: number;
}

function resolveOptions(model: Model, data: Dataset, o: OverfitOptions): Resolved {
  const bad = (what: string, want: string, found: unknown) => new HubelError('attribute', `overfit check: ${what} must be ${want}, found ${found}`);
  const limit = o.limit ?? 100;
  if (!(Number.isInteger(limit) && limit >= 1)) throw bad('limit', 'a positive integer', limit);
  const steps = o.steps ?? 500;
  if (!(Number.isInteger(steps) && steps >= 1)) throw bad('steps', 'a positive integer', steps);
  const optimizer = o.optimizer ?? 'adam';
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw bad('optimizer', "'adam' or 'sgd'", optimizer);
  const lr = o.lr ?? (optimizer === 'sgd' ? 0.05 : 1e-3);
  if (!(lr > 0 && Number.isFinite(lr))) throw bad('the learning rate', 'positive and finite', lr);
  const deadFraction = o.deadFraction ?? 0.7;
  if (!(deadFraction > 0 && deadFraction <= 1)) throw bad('deadFraction', 'in (0, 1]', deadFraction);
  if (data.length === 0) throw new HubelError('attribute', 'overfit check: the data set is empty');
  if (data.targetDType !== 'int32') throw new HubelError('dtype', 'overfit check: the data must have class labels (int32 targets); training error is a classification error');
  if (model.inputs.length !== 1) throw new HubelError('graph', `overfit check: the model must have one graph input (the images), found ${model.inputs.length}`);
  const n = Math.min(limit, data.length);
  const batchSize = o.batchSize ?? Math.min(20, n);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw bad('batchSize', 'a positive integer', batchSize);
  const loss = o.loss ?? lossFromRegistry(model);
  return { n, steps, batchSize: Math.min(batchSize, n), optimizer, lr, seed: o.seed ?? 1, loss, deadFraction };
}

function lossFromRegistry(model: Model): AnyLayer {
  if (!model.registry.hasLayer('', 'SoftmaxCrossEntropyLoss')) {
    throw new HubelError('unknown-layer', "overfit check: no loss given and SoftmaxCrossEntropyLoss is not registered (register @hubel/layers-loss or pass options.loss)");
  }
  return model.registry.layer('', 'SoftmaxCrossEntropyLoss');
}

/** The first `n` examples of `data` (the same examples, indices 0..n−1). */
function firstExamples(data: Dataset, n: number): Dataset {
  if (n === data.length) return data;
  return {
    length: n,
    inputShape: data.inputShape,
    targetShape: data.targetShape,
    targetDType: data.targetDType,
    classes: data.classes,
    batch(indices: ArrayLike<number>, backend: Backend): Batch {
      for (let i = 0; i < indices.length; i++) {
        if (!(indices[i] >= 0 && indices[i] < n)) throw new HubelError('shape', `dataset: index ${indices[i]} out of range [0, ${n})`);
      }
      return data.batch(indices, backend);
    },
  };
}

/**
 * A view of `model` (same nodes, parameters and hooks) whose Dropout nodes have ratio 0, so
 * training mode keeps every value; `dropoutOff` names the nodes changed.
 */
export function withoutDropout(model: Model): { view: Model; dropoutOff: string[] } {
  const dropoutOff: string[] = [];
  const nodes = model.nodes.map((node) => {
    if (node.layer.domain !== '' || node.layer.type !== 'Dropout') return node;
    if (node.attrs.ratio !== 0) dropoutOff.push(node.name);
    return { ...node, attrs: { ...node.attrs, ratio: 0 } };
  });
  const view = new Model(
    { backend: model.backend, registry: model.registry, inputs: model.inputs, outputs: model.outputs, nodes, valueInfo: model.valueInfo, metadata: model.metadata, rng: model.rng, hooks: model.hooks },
    false,
  );
  return { view, dropoutOff };
}

/**
 * Mean loss and top-1 error over `data` in eval mode, where a tie for the top score or a
 * non-finite score counts as an error (core's metrics count ties in the label's favour, which
 * would let a dead network with equal scores everywhere, or a NaN one, pass as 0% error).
 */
async function evaluateStrict(model: Model, lossLayer: AnyLayer, data: Dataset, batchSize: number): Promise<{ loss: number; error: number }> {
  const lossModel = model.withLoss(lossLayer, undefined, { targetDType: 'int32', targetShape: [null, ...data.targetShape] });
  let loss = 0;
  let errors = 0;
  try {
    for (let s = 0; s < data.length; s += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, data.length - s) }, (_, i) => s + i);
      const { x, y } = data.batch(idx, model.backend);
      try {
        const run = lossModel.forward({ [model.inputs[0].name]: x, target: y }, { mode: 'eval' });
        try {
          loss += (await run.get('loss').read())[0] * idx.length;
          const scores = await run.get(model.outputs[0]).read();
          const labels = await y.read();
          const c = scores.length / idx.length;
          for (let i = 0; i < idx.length; i++) {
            const sy = scores[i * c + labels[i]];
            let ok = Number.isFinite(sy);
            for (let j = 0; j < c && ok; j++) if (j !== labels[i] && !(scores[i * c + j] < sy)) ok = false;
            if (!ok) errors++;
          }
        } finally {
          run.dispose();
        }
      } finally {
        x.dispose();
        y.dispose();
      }
    }
  } finally {
    lossModel.dispose();
  }
  return { loss: loss / data.length, error: errors / data.length };
}

async function readAll(params: readonly ParamRef[]): Promise<Float64Array[]> {
  return Promise.all(params.map(async (p) => Float64Array.from(await p.tensor.read())));
}

/** ‖a − b‖ / ‖b‖ over all tensors together (Infinity or NaN when the weights became non-finite). */
function relativeChange(a: readonly Float64Array[], b: readonly Float64Array[]): number {
  let d = 0;
  let n = 0;
  for (let t = 0; t < a.length; t++) {
    for (let i = 0; i < a[t].length; i++) {
      d += (a[t][i] - b[t][i]) ** 2;
      n += b[t][i] ** 2;
    }
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-12);
}

function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const num = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : String(x));

/** Update/weight ratios per step above this mean steps as large as the weights: a learning rate too high. */
const RATIO_HIGH = 0.5;
/** Below this, a hundred steps move the weights by a percent at most: a learning rate too low (healthy: ~1e-3). */
const RATIO_LOW = 1e-4;

function likelyCauses(curve: readonly OverfitPoint[], deadStart: readonly DeadUnitCount[], dead: readonly DeadUnitCount[], diverged: number | undefined, o: Resolved): string[] {
  const causes: string[] = [];
  const first = curve[0];
  const last = curve.at(-1)!;
  const lrText = `${o.optimizer} lr ${o.lr}`;
  const trained = curve.slice(1);
  const peak = trained.reduce<OverfitPoint | undefined>((a, p) => (!a || !(p.loss <= a.loss) ? p : a), undefined);
  const ratios = trained.map((p) => p.updateRatio).filter((r) => !Number.isNaN(r));
  const biggest = ratios.length ? Math.max(...ratios) : NaN;
  const typical = median(ratios);
  const before = (d: DeadUnitCount) => deadStart.find((s) => s.node === d.node);
  const deadLayers = dead.filter((d) => d.fraction >= o.deadFraction);
  // Layers dead before any step: no gradient flows through a dead ReLU, so the weights below
  // barely move whatever the learning rate; blaming the rate would mislead.
  const bornDead = deadLayers.filter((d) => (before(d)?.fraction ?? 0) >= o.deadFraction);
  if (diverged !== undefined || !Number.isFinite(last.loss)) {
    causes.push(`learning rate too high: the loss became ${diverged !== undefined ? `NaN or infinite at step ${diverged}` : String(last.loss)} (${lrText}); try a learning rate 10× smaller`);
  } else if (peak && peak.loss > 1.5 * first.loss) {
    causes.push(`learning rate too high: the training loss rose from ${num(first.loss)} to ${num(peak.loss)} at step ${peak.step} (${lrText}); try a learning rate 10× smaller`);
  } else if (biggest > RATIO_HIGH) {
    causes.push(`learning rate too high: a step changed the weights by ${biggest.toExponential(1)} of their size (healthy: ~1e-3; ${lrText}); try a learning rate 10× smaller`);
  } else if (!bornDead.length && (typical < RATIO_LOW || Math.abs(first.loss - last.loss) < 0.05 * Math.abs(first.loss))) {
    causes.push(
      `learning rate too low: the training loss barely moved, ${num(first.loss)} → ${num(last.loss)} in ${last.step} steps, ` +
        `each step changing the weights by ${Number.isNaN(typical) ? '?' : typical.toExponential(1)} of their size (healthy: ~1e-3; ${lrText}); try a learning rate 10× larger`,
    );
  }
  if (bornDead.length) {
    causes.push(
      `dead units from the start: ${bornDead.map((d) => `${d.node} ${before(d)!.dead} of ${d.units}`).join(', ')} never active on the ${o.n} images before training ` +
        `(${bornDead.map((d) => d.dead).join(', ')} after); ` +
        'check the initialization and the biases (no gradient flows through a dead ReLU, so a larger learning rate will not revive them)',
    );
  }
  const killed = deadLayers.filter((d) => !bornDead.includes(d));
  if (killed.length) {
    causes.push(
      `dead units: ${killed.map((d) => `${d.node} ${d.dead} of ${d.units} (${before(d)?.dead ?? 0} before training)`).join(', ')} never active on the ${o.n} images; ` +
        'units that die during training are typical of a learning rate too high',
    );
  }
  if (!causes.length) {
    const tail = curve.slice(-4);
    const falling = tail.length > 1 && tail.at(-1)!.loss < tail[0].loss * 0.95;
    causes.push(
      falling
        ? `step budget too small: the loss is still falling (${num(tail[0].loss)} → ${num(tail.at(-1)!.loss)} over the last ${tail.at(-1)!.step - tail[0].step} steps); try more steps`
        : `no clear cause: the loss stalled at ${num(last.loss)} with learning rate, units and budget looking sane; check the labels (identical images with different labels cannot be fitted), the model's capacity, and the layers' backward (hubel check gradients)`,
    );
  }
  return causes;
}
