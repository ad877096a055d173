import { HubelError } from './errors.js';
import type { DType, Shape, Tensor, TypedArray } from './tensor.js';

/**
 * Backends add themselves here by declaration merging, so kernels for `'cpu'` see the CPU
 * backend's own type without casts:
 * `declare module '@hubel/core' { interface BackendTypes { cpu: CpuBackend } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BackendTypes {}

/** The name of a backend whose type is registered in {@link BackendTypes} (`'cpu'`, `'webgpu'`, ...). */
export type BackendName = keyof BackendTypes & string;

/** Hyper-parameters of one {@link CoreOps.sgdUpdate} step, as {@link Sgd} passes them. */
export interface SgdUpdate {
  /** Learning rate: the step is `w -= lr · d`. */
  lr: number;
  /** Momentum factor μ: `v = μ·v + (1 − dampening)·g`; 0 means plain SGD and no velocity. */
  momentum: number;
  /** Fraction of the gradient left out of the velocity update (PyTorch's `dampening`). */
  dampening: number;
  /** Nesterov momentum: step along `g + μ·v` instead of `v`. */
  nesterov: boolean;
  /** L2 penalty added to the gradient: `g + weightDecay · w`. */
  weightDecay: number;
}

/** Hyper-parameters and step count of one {@link CoreOps.adamUpdate} step, as {@link Adam} passes them. */
export interface AdamUpdate {
  /** Learning rate. */
  lr: number;
  /** Decay rate of the first-moment (mean) estimate `m`. */
  beta1: number;
  /** Decay rate of the second-moment (uncentred variance) estimate `v`. */
  beta2: number;
  /** Added to `√v̂` in the denominator, for numerical stability. */
  eps: number;
  /** Weight decay: added to the gradient (L2, Adam), or to the update when `decoupled` (AdamW). */
  weightDecay: number;
  /** AdamW: decay applied to the weights directly rather than added to the gradient. */
  decoupled: boolean;
  /** 1-based step count, for bias correction. */
  step: number;
}

/**
 * The few array operations that core's generic machinery needs on any backend: summing
 * gradients on fan-out, seeding backward, optimizer updates. Layer arithmetic lives in kernels.
 */
export interface CoreOps {
  /** Fresh tensor a + b (same shape). */
  add(a: Tensor, b: Tensor): Tensor;
  /** Fresh copy of a. */
  copy(a: Tensor): Tensor;
  /** Fresh tensor filled with `value`. */
  fill(shape: Shape, value: number): Tensor;
  /** In-place SGD step on `param`; `velocity` (same shape) is updated in place when momentum > 0. */
  sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor | undefined, o: SgdUpdate): void;
  /** In-place Adam step on `param`, `m` and `v`. */
  adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamUpdate): void;
  /** Replaces the contents of `dst` with those of `src` (same shape, same backend). */
  assign(dst: Tensor, src: Tensor): void;
}

/** Counters for leak checks: a training loop should keep both flat from one step to the next. */
export interface BackendStats {
  /** Tensors allocated and not yet disposed. */
  liveTensors: number;
  /** Underlying buffers ever created (a pooling backend keeps this flat in a training loop). */
  buffersCreated: number;
}

/** Storage and the core ops for one device. A backend knows nothing about layers. */
export interface Backend {
  /** The backend's registered name (`'cpu'`, `'webgpu'`): the key kernels are registered under. */
  readonly name: string;
  /** Element type used for float tensors: float32, or float64 for gradient checks. */
  readonly floatType: 'float32' | 'float64';
  /** Human-readable device label (e.g. a GPU adapter's description). */
  readonly description: string;
  /** The array operations core's executor and optimizers run on this backend. */
  readonly ops: CoreOps;
  /** Uploads host values as a new tensor. `dtype` defaults to the backend's float type. */
  tensor(values: ArrayLike<number>, shape: Shape, dtype?: DType): Tensor;
  /** A new zero-filled tensor. */
  zeros(shape: Shape, dtype?: DType): Tensor;
  /** Copies a tensor's values to a fresh host array (what {@link Tensor.read} calls). */
  read(t: Tensor): Promise<TypedArray>;
  /** Optional synchronous {@link Backend.read}, for backends whose memory is on the host. */
  readSync?(t: Tensor): TypedArray;
  /**
   * Optional: the tensor's values without a copy, for read-only scans on the calling thread
   * (valid until the tensor is written or disposed; never write through it). Backends whose
   * memory is not directly addressable leave it out.
   */
  peekSync?(t: Tensor): ArrayLike<number>;
  /**
   * Optional, with peekSync: the flat index of the first NaN or ±Inf in the tensor, or −1, on the
   * calling thread (what NanGuard checks after every node). Absent: NanGuard scans peekSync's values.
   */
  firstNonFiniteSync?(t: Tensor): number;
  /** Called by `Tensor.dispose()`; backends pool or free the storage. */
  release(t: Tensor, storage: unknown): void;
  /** Waits until all queued work is done. */
  sync(): Promise<void>;
  /** Current allocation counters. */
  stats(): BackendStats;
  /** Optional: frees pooled storage and any device the backend created; the backend is unusable afterwards. */
  dispose?(): void;
}

/** Creates a backend; a plugin lists factories in `backends`, and `registry.createBackend(name)` calls them. */
export interface BackendFactory<N extends string = string> {
  /** The name the backend registers under, and the key of its {@link BackendTypes} entry. */
  readonly name: N;
  /** Creates a backend instance; `options` are the backend's own (e.g. `{ dtype: 'float64' }` for CPU). */
  create(options?: Record<string, unknown>): Promise<Backend> | Backend;
}

/** Checks that a tensor lives on `backend`, with an error naming the node and input. */
export function expectBackend(t: Tensor, backend: Backend, where: string): void {
  if (t.backend !== backend) {
    throw new HubelError(
      'backend',
      `${where}: tensor lives on backend '${t.backend.name}' but the kernel runs on '${backend.name}'; move it with backend.tensor(await t.read(), t.shape)`,
    );
  }
}
