import type { BackendName, BackendTypes } from './backend.js';
import type { AnyLayer, AttrsOf, ParamRecordOf, ParamTensors, ParamsOf } from './layer.js';
import type { Rng } from './rng.js';
import type { Tensor } from './tensor.js';

export type Mode = 'train' | 'eval';

/** What a kernel's forward pass receives. */
export interface ForwardArgs<D extends AnyLayer, B> {
  readonly backend: B;
  readonly attrs: AttrsOf<D>;
  readonly inputs: readonly Tensor[];
  readonly params: ParamTensors<ParamRecordOf<D>>;
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
  readonly outputs: Tensor[];
  readonly saved?: Record<string, unknown>;
  readonly updates?: Partial<Record<P, Tensor>>;
}

/** Which gradients backward must produce (Caffe's propagate_down). */
export interface Wants {
  readonly inputs: readonly boolean[];
  readonly params: boolean;
}

export interface BackwardArgs<D extends AnyLayer, B> extends ForwardArgs<D, B> {
  readonly outputs: readonly Tensor[];
  // Kernels put arbitrary values in `saved`; its shape is private to the kernel pair.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly saved: Record<string, any>;
  /** ∂C/∂y for each output (zeros where an output does not reach the cost). */
  readonly dOutputs: readonly Tensor[];
  readonly wants: Wants;
}

/**
 * The lecture's two backward products, as fresh tensors: ∂C/∂x for each input that `wants`
 * asks for, and ∂C/∂w for each trainable parameter. Kernels never accumulate in place.
 */
export interface BackwardResult<P extends string = string> {
  readonly dInputs: readonly (Tensor | undefined)[];
  readonly dParams?: Partial<Record<P, Tensor | undefined>>;
}

export interface KernelImpl<D extends AnyLayer, B> {
  forward(args: ForwardArgs<D, B>): ForwardResult<ParamsOf<D>>;
  /** Absent for layers with nothing to differentiate. */
  backward?(args: BackwardArgs<D, B>): BackwardResult<ParamsOf<D>>;
}

export interface KernelDefinition<D extends AnyLayer = AnyLayer, N extends string = string> {
  readonly layer: D;
  readonly backend: N;
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
