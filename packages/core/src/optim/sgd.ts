import type { ParamRef } from '../graph/model.js';
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link Sgd}. */
export interface SgdOptions {
  /** Learning rate (> 0). */
  lr: number;
  /** Momentum μ in [0, 1); default 0 (no velocity kept). */
  momentum?: number;
  /** Fraction of the gradient kept out of the velocity, as PyTorch's `dampening`; default 0. */
  dampening?: number;
  /** Nesterov momentum: step along g + μ·v rather than v. Needs momentum > 0. */
  nesterov?: boolean;
  /** L2 penalty λ: adds λ·w to the gradient. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent: v ← μ·v + (1 − dampening)·(g + λw); w ← w − lr·v
 * (or w ← w − lr·(g + λw + μ·v) with Nesterov).
 */
export class Sgd extends Optimizer {
  /** Always `'sgd'`. */
  readonly kind = 'sgd';
  /** Momentum μ. */
  readonly momentum: number;
  /** Velocity dampening. */
  readonly dampening: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;
  /** L2 penalty λ. */
  readonly weightDecay: number;

  constructor(o: SgdOptions) {
    super(o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    if (this.momentum < 0 || this.momentum >= 1) throw new RangeError(`momentum must be in [0, 1), found ${this.momentum}`);
    if (this.weightDecay < 0) throw new RangeError(`weightDecay must be >= 0, found ${this.weightDecay}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new RangeError('Nesterov momentum needs momentum > 0 and dampening 0');
  }

  /** One SGD step through the backend's `sgdUpdate`, with a `velocity` slot when momentum > 0. */
  protected update(p: ParamRef, grad: Tensor, step: number): void {
    const velocity = this.momentum > 0 ? this.slot(p, 'velocity') : undefined;
    p.tensor.backend.ops.sgdUpdate(p.tensor, grad, velocity, {
      lr: this.lr,
      momentum: this.momentum,
      // PyTorch convention: the first step copies the gradient into the velocity undamped.
      dampening: step === 1 ? 0 : this.dampening,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    });
  }
}
