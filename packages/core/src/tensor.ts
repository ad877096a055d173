import type { Backend } from './backend.js';
import { HubelError, fmtShape } from './errors.js';

/** Element type of a tensor: floats for activations and weights, `int32` for labels and indices. */
export type DType = 'float32' | 'float64' | 'int32';
/** Tensor dimensions, outermost first (NCHW for images: batch, channels, height, width). */
export type Shape = readonly number[];
/** Host array a tensor reads into: `Float32Array`, `Float64Array` or `Int32Array` by dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array;
/** Host array of a float tensor. */
export type FloatArray = Float32Array | Float64Array;

/** Number of elements of a shape: the product of its dimensions (1 for `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether two shapes have the same rank and dimensions. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * An n-dimensional array living on one backend (NCHW for images). The tensor owns its
 * storage: whoever receives a tensor from a Hubel call owns it and calls `dispose()`;
 * using it afterwards throws. Reading to the host is `await t.read()`.
 */
export class Tensor {
  #storage: unknown;
  #disposed = false;
  /** Number of elements, `sizeOf(shape)`. */
  readonly size: number;

  constructor(
    /** The backend that owns the storage; kernels for this backend may touch it. */
    readonly backend: Backend,
    /** Dimensions, outermost first (NCHW for images). */
    readonly shape: Shape,
    /** Element type. */
    readonly dtype: DType,
    storage: unknown,
  ) {
    this.size = sizeOf(shape);
    this.#storage = storage;
  }

  /** Whether `dispose()` has been called; using the storage afterwards throws. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Backend-private storage; only the owning backend and its kernels touch it. */
  get storage(): unknown {
    if (this.#disposed) {
      throw new HubelError(
        'disposed',
        `Tensor ${fmtShape(this.shape)} ${this.dtype} on backend '${this.backend.name}' was used after dispose()`,
      );
    }
    return this.#storage;
  }

  /** Copies the values to a fresh host array (float32 tensors on a float64 backend read as float64). */
  read(): Promise<TypedArray> {
    return this.backend.read(this);
  }

  /** Synchronous read, for backends whose data is already on the host (throws elsewhere). */
  readSync(): TypedArray {
    if (!this.backend.readSync) {
      throw new HubelError('backend', `backend '${this.backend.name}' cannot read tensors synchronously; use await tensor.read()`);
    }
    return this.backend.readSync(this);
  }

  /** Frees the storage (idempotent). */
  dispose(): void {
    if (this.#disposed) return;
    const s = this.#storage;
    this.#disposed = true;
    this.#storage = undefined;
    this.backend.release(this, s);
  }

  /** A label for messages: `Tensor([2, 3], float32, cpu)`. */
  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }
}

/** Disposes every tensor found in a value: a tensor, an array or a plain record of them. */
export function disposeAll(value: unknown, keep?: ReadonlySet<Tensor>): void {
  if (value instanceof Tensor) {
    if (!keep?.has(value)) value.dispose();
  } else if (Array.isArray(value)) {
    for (const v of value) disposeAll(v, keep);
  } else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) disposeAll(v, keep);
  }
}
