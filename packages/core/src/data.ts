import type { Backend } from './backend.js';
import { HubelError, fmtShape } from './errors.js';
import { sizeOf, type Shape, type Tensor } from './tensor.js';

/** A mini-batch on a backend; the receiver disposes both tensors. */
export interface Batch {
  /** Inputs, `[batch, ...inputShape]`. */
  readonly x: Tensor;
  /** Targets, `[batch, ...targetShape]`: int32 class labels or float targets. */
  readonly y: Tensor;
}

/** What the trainer iterates over: examples addressable by index. */
export interface Dataset {
  /** Number of examples. */
  readonly length: number;
  /** Shape of one example, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  /** Shape of one target: [] for a class label. */
  readonly targetShape: Shape;
  /** `'int32'` for class labels, `'float'` for regression targets. */
  readonly targetDType: 'int32' | 'float';
  /** Number of classes, for classification sets. */
  readonly classes?: number;
  /** Copies the examples at `indices` into a fresh batch on `backend`. */
  batch(indices: ArrayLike<number>, backend: Backend): Batch;
}

/**
 * An in-memory dataset over flat arrays: `x` holds N examples of `inputShape`, `y` holds N
 * class labels (Int32Array) or N targets of `targetShape` (Float32Array/Float64Array).
 */
export class ArrayDataset implements Dataset {
  readonly length: number;
  readonly targetDType: 'int32' | 'float';
  readonly #xStride: number;
  readonly #yStride: number;

  constructor(
    /** All inputs, example after example. */
    readonly x: Float32Array | Float64Array,
    readonly inputShape: Shape,
    /** All targets, example after example. */
    readonly y: Int32Array | Float32Array | Float64Array,
    readonly targetShape: Shape = [],
    readonly classes?: number,
  ) {
    this.#xStride = sizeOf(inputShape);
    this.#yStride = sizeOf(targetShape);
    if (this.#xStride === 0 || x.length % this.#xStride !== 0) throw new HubelError('shape', `dataset: ${x.length} input values do not split into examples of shape ${fmtShape(inputShape)}`);
    this.length = x.length / this.#xStride;
    if (y.length !== this.length * this.#yStride) throw new HubelError('shape', `dataset: ${this.length} examples but ${y.length} target values (${this.#yStride} per example expected)`);
    this.targetDType = y instanceof Int32Array ? 'int32' : 'float';
    if (this.targetDType === 'int32' && classes !== undefined) {
      for (let i = 0; i < y.length; i++) if (y[i] < 0 || y[i] >= classes) throw new HubelError('shape', `dataset: label ${y[i]} at index ${i} is outside [0, ${classes})`);
    }
  }

  batch(indices: ArrayLike<number>, backend: Backend): Batch {
    const n = indices.length;
    const xs = new (this.x.constructor as Float32ArrayConstructor)(n * this.#xStride);
    const ys = new (this.y.constructor as Int32ArrayConstructor)(n * this.#yStride);
    for (let b = 0; b < n; b++) {
      const i = indices[b];
      if (!(i >= 0 && i < this.length)) throw new HubelError('shape', `dataset: index ${i} out of range [0, ${this.length})`);
      xs.set(this.x.subarray(i * this.#xStride, (i + 1) * this.#xStride), b * this.#xStride);
      ys.set(this.y.subarray(i * this.#yStride, (i + 1) * this.#yStride), b * this.#yStride);
    }
    return {
      x: backend.tensor(xs, [n, ...this.inputShape]),
      y: backend.tensor(ys, [n, ...this.targetShape], this.targetDType === 'int32' ? 'int32' : undefined),
    };
  }

  /** A view on a subset (e.g. a validation split), sharing nothing mutable. */
  subset(indices: ArrayLike<number>): ArrayDataset {
    const n = indices.length;
    const xs = new (this.x.constructor as Float32ArrayConstructor)(n * this.#xStride);
    const ys = new (this.y.constructor as Int32ArrayConstructor)(n * this.#yStride);
    for (let b = 0; b < n; b++) {
      const i = indices[b];
      xs.set(this.x.subarray(i * this.#xStride, (i + 1) * this.#xStride), b * this.#xStride);
      ys.set(this.y.subarray(i * this.#yStride, (i + 1) * this.#yStride), b * this.#yStride);
    }
    return new ArrayDataset(xs, this.inputShape, ys, this.targetShape, this.classes);
  }
}
