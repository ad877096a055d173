import type { BackendName, BackendTypes } from './backend.js';
import type { AnyLayer, AttrsOf, ParamRecordOf, ParamTensors, ParamsOf } from './layer.js';
import type { Rng } from './rng.js';
import type { Tensor } from './tensor.js';

/** Training or inference: dropout drops and batch norm uses batch statistics only in `'train'`. */
export type Mode = 'train' | 'eval';

/** What a kernel's forward pass receives. */
export interface ForwardArgs<D extends AnyLayer, B> {
  /** The backend the kernel runs on, typed through {@link BackendTypes} (its storage and blocks). */
  readonly backend: B;
  /** The node's attributes, resolved: defaults filled in and validated. */
  readonly attrs: AttrsOf<D>;
  /** The node's inputs, in the layer's input order; owned by the executor, never disposed by the kernel. */
  readonly inputs: readonly Tensor[];
  /** The node's parameter tensors by name (`W`, `B`, ...); read-only to the kernel. */
  readonly params: ParamTensors<ParamRecordOf<D>>;
  /** `'train'` or `'eval'`; layers that behave differently branch on it. */
  readonly mode: Mode;
  /** Seeded stream for stochastic layers (dropout); the executor owns its state. */
  readonly rng: Rng;
  /** The node's name, for error messages. */
  readonly node: string;
  /**
   * Which of the layer's outputs the node uses (ONNX's optional outputs): a kernel may skip
   * computing an unwanted one, returning any tensor of the right shape in its place.
   */
  readonly outputsWanted?: readonly boolean[];
}

/**
 * What forward returns. `outputs` and any tensors in `saved` are fresh (the executor owns and
 * disposes them; `saved` may also reference inputs, outputs or params, which are not disposed
 * twice). `updates` replaces non-trainable parameters (batch norm's running statistics) in
 * training mode.
 */
export interface ForwardResult<P extends string = string> {
  /** The layer's outputs, fresh tensors in the layer's output order. */
  readonly outputs: Tensor[];
  /** What backward needs (masks, im2col buffers, statistics), handed back as {@link BackwardArgs.saved}. */
  readonly saved?: Record<string, unknown>;
  /** Fresh values for non-trainable parameters (running statistics); the executor swaps them in. */
  readonly updates?: Partial<Record<P, Tensor>>;
}

/** Which gradients backward must produce (Caffe's propagate_down). */
export interface Wants {
  /** One flag per input: whether ∂C/∂input is needed (false for int32 inputs such as labels, and for values no gradient is asked of). */
  readonly inputs: readonly boolean[];
  /** Whether ∂C/∂w is needed: true when the node has trainable parameters. */
  readonly params: boolean;
}

/** What a kernel's backward pass receives: the forward arguments plus outputs, `saved` and `dOutputs`. */
export interface BackwardArgs<D extends AnyLayer, B> extends ForwardArgs<D, B> {
  /** The outputs forward returned. */
  readonly outputs: readonly Tensor[];
  // Kernels put arbitrary values in `saved`; its shape is private to the kernel pair.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  /** What forward returned in {@link ForwardResult.saved}. */
  readonly saved: Record<string, any>;
  /** ∂C/∂y for each output (zeros where an output does not reach the cost). */
  readonly dOutputs: readonly Tensor[];
  /** Which gradients to compute; return `undefined` for the others. */
  readonly wants: Wants;
}

/**
 * The lecture's two backward products, as fresh tensors: ∂C/∂x for each input that `wants`
 * asks for, and ∂C/∂w for each trainable parameter. Kernels never accumulate in place.
 */
export interface BackwardResult<P extends string = string> {
  /** ∂C/∂x per input, in input order; `undefined` where `wants.inputs[i]` is false. */
  readonly dInputs: readonly (Tensor | undefined)[];
  /** ∂C/∂w per trainable parameter name; omitted or `undefined` when `wants.params` is false. */
  readonly dParams?: Partial<Record<P, Tensor | undefined>>;
}

/** The arithmetic of one layer on one backend: forward, and backward when the layer has gradients. */
export interface KernelImpl<D extends AnyLayer, B> {
  /** Computes the outputs and saves what backward needs; never writes to inputs or params. */
  forward(args: ForwardArgs<D, B>): ForwardResult<ParamsOf<D>>;
  /** Absent for layers with nothing to differentiate. */
  backward?(args: BackwardArgs<D, B>): BackwardResult<ParamsOf<D>>;
}

/** A kernel as registered: `(layer, backend) → impl`. Create it with {@link defineKernel}. */
export interface KernelDefinition<D extends AnyLayer = AnyLayer, N extends string = string> {
  /** The layer definition this kernel implements (the key, not a string). */
  readonly layer: D;
  /** The name of the backend it runs on. */
  readonly backend: N;
  /** The forward and backward functions. */
  readonly impl: KernelImpl<D, N extends BackendName ? BackendTypes[N] : unknown>;
}

/**
 * Defines the forward/backward kernel of `layer` on backend `backend`. Keyed by the definition
 * object, so attrs and the backend are typed without casts.
 */
export function defineKernel<D extends AnyLayer, N extends BackendName>(
  layer: D,
  backend: N,
  impl: KernelImpl<D, BackendTypes[N]>,
): KernelDefinition<D, N> {
  return Object.freeze({ layer, backend, impl: impl as KernelDefinition<D, N>['impl'] });
}
