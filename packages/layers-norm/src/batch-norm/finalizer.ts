import { HubelError, Model, layerLabel, type Dataset, type FinalizeContext, type Node, type Trainer, type TrainerPlugin } from '@hubel/core';
import { BatchNormalization } from './definition.js';

/** Options of {@link BatchNormFinalizer}. */
export interface BatchNormFinalizerOptions {
  /**
   * Store the unbiased variance M/(M−1)·σ² (M = examples × spatial positions per channel)
   * instead of the population variance σ². Default false: the exact variance over the training
   * set, the same (biased) estimator batch normalization uses on each mini-batch.
   */
  readonly unbiased?: boolean;
  /** Batch size of the statistics pass; default the trainer's. */
  readonly batchSize?: number;
}

/** What one call to `finalize` stored, per BatchNormalization node. */
export interface FinalizedStats {
  /** The BatchNormalization node's name. */
  readonly node: string;
  /** Mean of the node's input per channel, as stored in `input_mean`. */
  readonly mean: Float64Array;
  /** Variance per channel (population, or unbiased with that option), as stored in `input_var`. */
  readonly variance: Float64Array;
  /** Values per channel the statistics were taken over (examples × spatial positions). */
  readonly count: number;
}

/**
 * The lecture's finalization phase for batch normalization, as a trainer plugin tapping
 * `finalize`: after training, the training set is propagated through the network in eval
 * mode, and each BatchNormalization node's input_mean/input_var receive the exact mean and
 * variance of its input per channel over the whole training set.
 *
 * Nodes are finalized in waves in topological order: a wave holds the not yet finalized nodes
 * none of whose BatchNormalization ancestors is still pending, so every statistic is taken
 * with all upstream batch norms already using their final statistics (a chain gives one node
 * per wave, first to last). Each wave is one pass over the data through the sub-graph that
 * computes those nodes' inputs. Nothing is assumed about the other layers: any registered
 * layer, any DAG. Sums are merged per batch in float64 (Chan et al.'s pairwise update of
 * mean and squared deviations), so the result is exact up to float64 rounding.
 *
 * Models must have a single graph input (the dataset's examples).
 */
export class BatchNormFinalizer implements TrainerPlugin {
  readonly #options: BatchNormFinalizerOptions;
  /** What the last finalization stored (for logging and tests). */
  last: readonly FinalizedStats[] = [];

  constructor(options: BatchNormFinalizerOptions = {}) {
    if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize > 0)) {
      throw new HubelError('attribute', `BatchNormFinalizer: batchSize must be a positive integer, found ${options.batchSize}`);
    }
    this.#options = options;
  }

  apply(trainer: Trainer): void {
    trainer.hooks.finalize.tapPromise('BatchNormFinalizer', async (ctx: FinalizeContext) => {
      await this.finalize(ctx.model, ctx.train, this.#options.batchSize ?? ctx.batchSize);
    });
  }

  /**
   * Overwrites input_mean and input_var of every BatchNormalization node of `model` (in place,
   * on the model's backend) with statistics over all of `data`. Returns what it stored.
   * Throws a HubelError when the model has several inputs or the data set is empty.
   */
  async finalize(model: Model, data: Dataset, batchSize: number): Promise<FinalizedStats[]> {
    if (model.inputs.length !== 1) {
      throw new HubelError('graph', `BatchNormFinalizer: the model must have one graph input (the examples), found ${model.inputs.length}: ${model.inputs.map((i) => i.name).join(', ')}`);
    }
    if (data.length === 0) throw new HubelError('attribute', 'BatchNormFinalizer: the training set is empty');
    const producer = new Map<string, Node>();
    for (const node of model.nodes) for (const o of node.outputs) producer.set(o, node);
    const bnNodes = model.nodes.filter((node) => node.layer.key === BatchNormalization.key);
    const ancestors = new Map(bnNodes.map((node) => [node, ancestorsOf(node, producer)] as const));
    const pending = new Set(bnNodes);
    const stored: FinalizedStats[] = [];
    while (pending.size > 0) {
      const wave = [...pending].filter((node) => ![...ancestors.get(node)!].some((a) => pending.has(a)));
      const stats = await this.#collect(model, wave, ancestors, data, batchSize);
      for (const s of stats) {
        const node = model.node(s.node);
        write(model, node, 'input_mean', s.mean);
        write(model, node, 'input_var', s.variance);
        pending.delete(node);
        stored.push(s);
      }
    }
    this.last = stored;
    return stored;
  }

  /** One eval-mode pass over the data through the sub-graph feeding `wave`, accumulating per-channel statistics. */
  async #collect(model: Model, wave: readonly Node[], ancestors: ReadonlyMap<Node, ReadonlySet<Node>>, data: Dataset, batchSize: number): Promise<FinalizedStats[]> {
    const needed = new Set<Node>();
    for (const node of wave) for (const a of ancestors.get(node)!) needed.add(a);
    const values = wave.map((node) => node.inputs[0]);
    const sub = new Model(
      {
        backend: model.backend,
        registry: model.registry,
        inputs: model.inputs,
        outputs: [...new Set(values)],
        nodes: model.nodes.filter((node) => needed.has(node)),
        valueInfo: model.valueInfo,
      },
      false,
    );
    const acc = wave.map(() => undefined as Moments | undefined);
    const feed = model.inputs[0].name;
    for (let start = 0; start < data.length; start += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, data.length - start) }, (_, i) => start + i);
      const { x, y } = data.batch(idx, model.backend);
      y.dispose();
      try {
        const run = sub.forward({ [feed]: x }, { mode: 'eval' });
        try {
          for (let k = 0; k < wave.length; k++) {
            const t = run.get(values[k]);
            const batch = channelMoments(await t.read(), t.shape, wave[k]);
            acc[k] = acc[k] ? merge(acc[k]!, batch) : batch;
          }
        } finally {
          run.dispose();
        }
      } finally {
        x.dispose();
      }
    }
    sub.dispose();
    return wave.map((node, k) => {
      const { count, mean, m2 } = acc[k]!;
      const divisor = this.#options.unbiased ? count - 1 : count;
      if (divisor <= 0) {
        throw new HubelError('shape', `BatchNormFinalizer: node '${node.name}' (${layerLabel(node.layer)}) saw ${count} value per channel; the unbiased variance needs at least 2`);
      }
      return { node: node.name, mean, variance: m2.map((s) => s / divisor), count };
    });
  }
}

/** Count, mean and sum of squared deviations per channel. */
interface Moments {
  readonly count: number;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
}

/** Two-pass moments of one batch, x viewed as [N, C, S]. */
function channelMoments(x: ArrayLike<number>, shape: readonly number[], node: Node): Moments {
  if (shape.length < 2) throw new HubelError('shape', `BatchNormFinalizer: node '${node.name}' reads a rank-${shape.length} value; expected [N, C, ...]`);
  const [n, c] = shape;
  const s = x.length / (n * c);
  const count = n * s;
  const mean = new Float64Array(c);
  const m2 = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      let acc = 0;
      for (let j = base; j < base + s; j++) acc += x[j];
      mean[ch] += acc;
    }
  }
  for (let ch = 0; ch < c; ch++) mean[ch] /= count;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch];
      let acc = 0;
      for (let j = base; j < base + s; j++) acc += (x[j] - mu) * (x[j] - mu);
      m2[ch] += acc;
    }
  }
  return { count, mean, m2 };
}

/** Chan, Golub & LeVeque's merge of two sets of moments (exact in exact arithmetic, stable in floating point). */
function merge(a: Moments, b: Moments): Moments {
  const count = a.count + b.count;
  const mean = new Float64Array(a.mean.length);
  const m2 = new Float64Array(a.mean.length);
  for (let ch = 0; ch < mean.length; ch++) {
    const delta = b.mean[ch] - a.mean[ch];
    mean[ch] = a.mean[ch] + (delta * b.count) / count;
    m2[ch] = a.m2[ch] + b.m2[ch] + (delta * delta * a.count * b.count) / count;
  }
  return { count, mean, m2 };
}

/** Every node upstream of `node` (through its data inputs). */
function ancestorsOf(node: Node, producer: ReadonlyMap<string, Node>): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...node.inputs];
  while (stack.length) {
    const p = producer.get(stack.pop()!);
    if (!p || seen.has(p)) continue;
    seen.add(p);
    stack.push(...p.inputs);
  }
  return seen;
}

function write(model: Model, node: Node, param: 'input_mean' | 'input_var', values: Float64Array): void {
  const dst = node.params[param];
  const src = model.backend.tensor(values, dst.shape);
  model.backend.ops.assign(dst, src);
  src.dispose();
}
