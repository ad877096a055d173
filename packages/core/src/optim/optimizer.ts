import type { ParamRef } from '../graph/model.js';
import type { Gradients } from '../graph/executor.js';
import type { Tensor } from '../tensor.js';

/** Serializable optimizer state: step count and per-parameter slots (momentum, Adam moments). */
export interface OptimizerState {
  /** The optimizer's kind (`'sgd'`, `'adam'`); state only imports into the same kind. */
  readonly kind: string;
  /** Number of steps taken (Adam's bias correction continues from it). */
  readonly step: number;
  /** slots[paramKey][slotName] = values. */
  readonly slots: Record<string, Record<string, Float32Array | Float64Array>>;
}

/**
 * Updates parameters in place from their gradients. Slots are created lazily on the
 * parameter's backend and owned by the optimizer (`dispose()` frees them).
 */
export abstract class Optimizer {
  /** Short name of the algorithm, recorded in exported state (`'sgd'`, `'adam'`). */
  abstract readonly kind: string;
  /** Current learning rate; the trainer sets it each epoch through its `learningRate` hook. */
  lr: number;
  #step = 0;
  /** Per-parameter state tensors by parameter key, then slot name (`velocity`, `m`, `v`). */
  protected readonly slots = new Map<string, Record<string, Tensor>>();

  constructor(lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`learning rate must be a positive number, found ${lr}`);
    this.lr = lr;
  }

  /** Number of {@link Optimizer.step} calls so far (or restored by `importState`). */
  get stepCount(): number {
    return this.#step;
  }

  /** One update of every trainable parameter that has a gradient. */
  step(params: readonly ParamRef[], grads: Gradients): void {
    this.#step++;
    for (const p of params) {
      if (!p.trainable) continue;
      const g = grads.params.get(p.key);
      if (g) this.update(p, g, this.#step);
    }
  }

  /** Updates one parameter in place from its gradient; `step` is 1-based. Subclasses call backend ops here. */
  protected abstract update(p: ParamRef, grad: Tensor, step: number): void;

  /** The state tensor `name` of parameter `p`, created as zeros of its shape on first use. */
  protected slot(p: ParamRef, name: string): Tensor {
    let s = this.slots.get(p.key);
    if (!s) this.slots.set(p.key, (s = {}));
    return (s[name] ??= p.tensor.backend.zeros(p.tensor.shape));
  }

  /** Reads the step count and every slot to host arrays, for checkpoints. */
  async exportState(): Promise<OptimizerState> {
    const slots: OptimizerState['slots'] = {};
    for (const [k, rec] of this.slots) {
      slots[k] = {};
      for (const [n, t] of Object.entries(rec)) slots[k][n] = (await t.read()) as Float32Array | Float64Array;
    }
    return { kind: this.kind, step: this.#step, slots };
  }

  /** Restores state exported by `exportState` for the parameters of a model. */
  importState(state: OptimizerState, params: readonly ParamRef[]): void {
    if (state.kind !== this.kind) throw new Error(`optimizer state is for '${state.kind}', this optimizer is '${this.kind}'`);
    this.dispose();
    this.#step = state.step;
    const byKey = new Map(params.map((p) => [p.key, p]));
    for (const [k, rec] of Object.entries(state.slots)) {
      const p = byKey.get(k);
      if (!p) throw new Error(`optimizer state has slots for '${k}', which is not a parameter of this model`);
      const out: Record<string, Tensor> = {};
      for (const [n, v] of Object.entries(rec)) out[n] = p.tensor.backend.tensor(v, p.tensor.shape);
      this.slots.set(k, out);
    }
  }

  /** Frees every slot tensor; the optimizer starts from zero state if used again. */
  dispose(): void {
    for (const rec of this.slots.values()) for (const t of Object.values(rec)) t.dispose();
    this.slots.clear();
  }
}
