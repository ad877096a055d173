import { HubelError, Rng, type ArrayDataset, type Backend, type Batch, type Dataset, type RngState } from '@hubel/core';
import { horizontalFlip, randomCrop, type HostImages } from './augment.js';

/** Options of {@link AugmentedDataset}. */
export interface AugmentOptions {
  /** Zero-padding for random crops (0 or absent: no cropping). */
  readonly cropPad?: number;
  /** Random horizontal flips with probability 0.5. */
  readonly flip?: boolean;
  /** Seed of the augmentation stream. Default 0. */
  readonly seed?: number;
}

/**
 * A training set that augments every batch it hands out (random crop with padding,
 * horizontal flip), drawing from its own seeded stream. Images [C, H, W]; labels pass
 * through unchanged. Validation sets should use the plain dataset.
 */
export class AugmentedDataset implements Dataset {
  readonly #rng: Rng;

  constructor(
    /** The plain dataset the examples come from. */
    readonly base: ArrayDataset,
    /** Which augmentations to apply. */
    readonly options: AugmentOptions,
  ) {
    if (base.inputShape.length !== 3) throw new HubelError('shape', `AugmentedDataset: expected images [C, H, W], found input shape [${base.inputShape.join(', ')}]`);
    this.#rng = new Rng(options.seed ?? 0);
  }

  get length(): number {
    return this.base.length;
  }
  get inputShape() {
    return this.base.inputShape;
  }
  get targetShape() {
    return this.base.targetShape;
  }
  get targetDType() {
    return this.base.targetDType;
  }
  get classes() {
    return this.base.classes;
  }

  /** Copies the examples at `indices`, augments them and uploads both tensors (caller disposes). */
  batch(indices: ArrayLike<number>, backend: Backend): Batch {
    const plain = gather(this.base, indices);
    const shape = [indices.length, ...this.base.inputShape];
    let x = plain.x;
    if (this.options.cropPad) x = randomCrop(x, shape, this.options.cropPad, this.#rng);
    if (this.options.flip) x = horizontalFlip(x, shape, this.#rng);
    return {
      x: backend.tensor(x, shape),
      y: backend.tensor(plain.y, [indices.length, ...this.base.targetShape], this.base.targetDType === 'int32' ? 'int32' : undefined),
    };
  }

  /** The augmentation stream's state, for checkpoints. */
  getState(): { words: RngState; spare: number | null } {
    return this.#rng.getState();
  }

  /** Restores the augmentation stream from {@link AugmentedDataset.getState}. */
  setState(state: { words: RngState; spare: number | null }): void {
    this.#rng.setState(state);
  }
}

/** Host copies of the examples at `indices` (x and y of the dataset's own array types). */
export function gather(data: ArrayDataset, indices: ArrayLike<number>): { x: HostImages; y: ArrayDataset['y'] } {
  const xStride = data.x.length / data.length;
  const yStride = data.y.length / data.length;
  const n = indices.length;
  const x = new (data.x.constructor as Float32ArrayConstructor)(n * xStride);
  const y = new (data.y.constructor as Int32ArrayConstructor)(n * yStride);
  for (let b = 0; b < n; b++) {
    const i = indices[b];
    if (!(i >= 0 && i < data.length)) throw new HubelError('shape', `dataset: index ${i} out of range [0, ${data.length})`);
    x.set(data.x.subarray(i * xStride, (i + 1) * xStride), b * xStride);
    y.set(data.y.subarray(i * yStride, (i + 1) * yStride), b * yStride);
  }
  return { x, y };
}
