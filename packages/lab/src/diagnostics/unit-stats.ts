/**
 * The UnitStats Trainer plugin: per trainable parameter tensor, the weight norm, the gradient
 * norm and the update/weight ratio of each epoch; and, at each epoch's end, the unit statistics
 * of {@link diagnoseModel} on a fixed probe set. Gradients and pre-step weights are read in the
 * model's backward hook (it fires before the optimizer step), post-step weights at `batchEnd`.
 */
import { HubelError, Tensor, type Dataset, type LineSink, type NodeBackwardEvent, type Trainer, type TrainerPlugin } from '@hubel/core';
import { diagnoseModel, type DiagnoseOptions } from './diagnose-model.js';
import { summarizeLayer, type LayerSummary } from './format-diagnostics.js';

/** One parameter tensor's statistics over one epoch. */
export interface ParamStats {
  /** Parameter key, `node.param` (e.g. `conv1.W`). */
  readonly key: string;
  /** The tensor's shape. */
  readonly shape: readonly number[];
  /** ‖W‖₂ at the end of the epoch. */
  readonly weightNorm: number;
  /** Mean over the epoch's steps of ‖∂C/∂W‖₂ (the batch-mean loss's gradient). */
  readonly gradNorm: number;
  /**
   * Mean over the epoch's steps of ‖ΔW‖₂ / ‖W‖₂, W taken before the step and ΔW the change
   * the optimizer made (momentum and weight decay included). Steps where ‖W‖₂ = 0 (a bias
   * initialized to zero, at its first step) are left out; NaN when no step counted.
   */
  readonly updateRatio: number;
  /** Optimizer steps seen this epoch. */
  readonly steps: number;
}

/** What {@link UnitStats} records per epoch, in its `history` and as a `units` line in the log. */
export interface UnitStatsRecord {
  /** The epoch that ended, 0-based. */
  readonly epoch: number;
  /** Every trainable parameter, in the model's order. */
  readonly params: readonly ParamStats[];
  /** Unit statistics on the probe set; empty without a probe. */
  readonly layers: readonly LayerSummary[];
  /** Probe images evaluated (0 without a probe). */
  readonly probeImages: number;
}

/** Options of {@link UnitStats}. */
export interface UnitStatsOptions {
  /**
   * The fixed probe set whose unit statistics are taken at each epoch's end (eval mode): a
   * Dataset (its first `diagnose.limit` examples, default 256) or a Tensor [N, ...input] on the
   * model's backend that the caller keeps alive until training ends. Without it only parameter
   * statistics are kept.
   */
  readonly probe?: Dataset | Tensor;
  /** Options of the probe diagnosis (nodes, limits). */
  readonly diagnose?: DiagnoseOptions;
  /**
   * Where to append each epoch's record as one JSON line `{"type":"units", …}`: a sink
   * function, or a file path (Node; appended to). Give it `MetricsLog`'s target, and apply
   * UnitStats after MetricsLog, to have the record follow the epoch's line in `metrics.jsonl`.
   */
  readonly log?: LineSink | string;
}

interface Track {
  readonly key: string;
  readonly node: string;
  readonly name: string;
  gradSum: number;
  ratioSum: number;
  ratioSteps: number;
  steps: number;
  /** Host copy of W before the step (synchronous backends). */
  pre?: Float64Array;
  /** Device copies awaiting the step's end (other backends). */
  copies?: { grad: Tensor; pre: Tensor };
  pending: boolean;
}

const sumSq = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
};

/**
 * Trainer plugin recording, per epoch, each trainable parameter tensor's weight norm, gradient
 * norm and update/weight ratio (the lecture's rule of thumb: around 1e-3 per step), and the
 * probe set's unit statistics (sparsity, dead units, mean |correlation|, mean, std per layer
 * output). Records go to `history` and, with `log`, to a JSONL file or sink. Taps `runStart`
 * (the model's per-node backward hooks), `epochStart`, `batchEnd` and `epochEnd`.
 *
 * On backends with synchronous reads (CPU) each step costs a pass over the gradients and two
 * over the weights, with no allocation. Elsewhere each step copies each gradient and the
 * weights before and after the step on the device and reads them back asynchronously (awaited
 * at the epoch's end): correct but slow.
 */
export class UnitStats implements TrainerPlugin {
  /** One record per epoch ended, oldest first. */
  readonly history: UnitStatsRecord[] = [];

  constructor(private readonly options: UnitStatsOptions = {}) {}

  /** Taps the trainer's and the model's hooks under the name `UnitStats`. */
  apply(trainer: Trainer): void {
    const model = trainer.model;
    const backend = model.backend;
    const peek = backend.peekSync?.bind(backend);
    const tracks = new Map<string, Track>();
    const inflight: Promise<void>[] = [];
    let failure: unknown;
    let recording = false;
    let sink: LineSink | undefined;

    const onBackward = ({ node, result }: NodeBackwardEvent) => {
      if (!recording) return;
      for (const name of Object.keys(node.params)) {
        const track = tracks.get(`${node.name}.${name}`);
        const grad = result.dParams?.[name];
        if (!track || !grad) continue;
        const W = node.params[name];
        if (peek) {
          track.gradSum += Math.sqrt(sumSq(peek(grad)));
          (track.pre ??= new Float64Array(W.size)).set(peek(W));
        } else {
          track.copies = { grad: backend.ops.copy(grad), pre: backend.ops.copy(W) };
        }
        track.pending = true;
      }
    };

    const finishStep = (track: Track) => {
      track.pending = false;
      track.steps++;
      const W = model.node(track.node).params[track.name];
      const count = (g2: number, pre: ArrayLike<number>, post: ArrayLike<number>) => {
        let d2 = 0;
        let w2 = 0;
        for (let i = 0; i < pre.length; i++) {
          const d = post[i] - pre[i];
          d2 += d * d;
          w2 += pre[i] * pre[i];
        }
        if (!Number.isNaN(g2)) track.gradSum += Math.sqrt(g2);
        if (w2 > 0) {
          track.ratioSum += Math.sqrt(d2 / w2);
          track.ratioSteps++;
        }
      };
      if (peek) {
        count(NaN, track.pre!, peek(W));
        return;
      }
      const { grad, pre } = track.copies!;
      track.copies = undefined;
      const post = backend.ops.copy(W);
      inflight.push(
        Promise.all([grad.read(), pre.read(), post.read()])
          .then(([g, a, b]) => count(sumSq(g), a, b))
          .catch((e) => void (failure ??= e))
          .finally(() => {
            grad.dispose();
            pre.dispose();
            post.dispose();
          }),
      );
    };

    const emit = async (record: UnitStatsRecord) => {
      const target = this.options.log;
      if (target === undefined) return;
      if (!sink) {
        if (typeof target === 'string') {
          const fs = await import('node:fs/promises');
          sink = (line) => fs.appendFile(target, line);
        } else sink = target;
      }
      await sink(`${JSON.stringify({ type: 'units', ...record }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
    };

    let tapped = false;
    trainer.hooks.runStart.tap('UnitStats', () => {
      tracks.clear();
      for (const p of model.params()) {
        if (p.trainable) tracks.set(p.key, { key: p.key, node: p.node.name, name: p.name, gradSum: 0, ratioSum: 0, ratioSteps: 0, steps: 0, pending: false });
      }
      if (tapped) return;
      tapped = true;
      for (const node of model.nodes) {
        if (Object.keys(node.params).length) model.hooks.backward.for(node.name).tap('UnitStats', onBackward);
      }
    });
    trainer.hooks.epochStart.tap('UnitStats', () => {
      for (const t of tracks.values()) Object.assign(t, { gradSum: 0, ratioSum: 0, ratioSteps: 0, steps: 0, pending: false });
      recording = true;
    });
    trainer.hooks.batchEnd.tap('UnitStats', () => {
      for (const t of tracks.values()) if (t.pending) finishStep(t);
    });
    trainer.hooks.epochEnd.tapPromise('UnitStats', async (e) => {
      recording = false;
      await Promise.all(inflight.splice(0));
      if (failure) {
        const cause = failure;
        failure = undefined;
        throw new HubelError('backend', `UnitStats: reading gradients or weights failed: ${(cause as Error).message}`, { cause });
      }
      const params: ParamStats[] = [];
      for (const t of tracks.values()) {
        const W = model.node(t.node).params[t.name];
        params.push({
          key: t.key,
          shape: [...W.shape],
          weightNorm: Math.sqrt(sumSq(await W.read())),
          gradNorm: t.steps ? t.gradSum / t.steps : NaN,
          updateRatio: t.ratioSteps ? t.ratioSum / t.ratioSteps : NaN,
          steps: t.steps,
        });
      }
      const probe = this.options.probe;
      const diag = probe ? await diagnoseModel(model, probe, { limit: probe instanceof Tensor ? undefined : 256, ...this.options.diagnose }) : undefined;
      const record: UnitStatsRecord = { epoch: e.epoch, params, layers: diag ? diag.layers.map(summarizeLayer) : [], probeImages: diag?.images ?? 0 };
      this.history.push(record);
      await emit(record);
    });
  }
}
