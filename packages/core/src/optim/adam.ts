import type { ParamRef } from '../graph/model.js';
import type { Tensor } from '../tensor.js';
import { Optimizer } from './optimizer.js';

/** Options of {@link Adam}; all optional. */
export interface AdamOptions {
  /** Learning rate; default 1e-3. */
  lr?: number;
  /** Decay of the first-moment estimate, in [0, 1); default 0.9. */
  beta1?: number;
  /** Decay of the second-moment estimate, in [0, 1); default 0.999. */
  beta2?: number;
  /** Denominator term ε (> 0); default 1e-8. */
  eps?: number;
  /** Weight decay λ; default 0. */
  weightDecay?: number;
  /** AdamW (Loshchilov & Hutter): decay the weights directly instead of through the gradient. */
  decoupled?: boolean;
}

/**
 * Adam (Kingma & Ba 2015): m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * w ← w − lr·m̂/(√v̂ + ε) with bias-corrected m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ).
 */
export class Adam extends Optimizer {
  /** Always `'adam'`. */
  readonly kind = 'adam';
  /** First-moment decay β1. */
  readonly beta1: number;
  /** Second-moment decay β2. */
  readonly beta2: number;
  /** Denominator term ε. */
  readonly eps: number;
  /** Weight decay λ. */
  readonly weightDecay: number;
  /** Whether the decay is decoupled (AdamW). */
  readonly decoupled: boolean;

  constructor(o: AdamOptions = {}) {
    super(o.lr ?? 1e-3);
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    this.decoupled = o.decoupled ?? false;
    for (const [k, v] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new RangeError(`${k} must be in [0, 1), found ${v}`);
    }
    if (!(this.eps > 0)) throw new RangeError(`eps must be > 0, found ${this.eps}`);
  }

  /** One Adam step through the backend's `adamUpdate`, with `m` and `v` slots. */
  protected update(p: ParamRef, grad: Tensor, step: number): void {
    p.tensor.backend.ops.adamUpdate(p.tensor, grad, this.slot(p, 'm'), this.slot(p, 'v'), {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      decoupled: this.decoupled,
      step,
    });
  }
}
