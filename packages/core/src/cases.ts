import type { AnyLayer, AttrInputOf } from './layer.js';
import type { Mode } from './kernel.js';
import type { Shape } from './tensor.js';

/** How a test input is drawn. */
export type InputGen =
  | Shape
  | {
      /** The input's shape, batch included. */
      readonly shape: Shape;
      /** 'normal' (default), 'uniform' in [-1, 1), 'positive' in [0.5, 1.5), class labels in [0, classes), or a fixed range. */
      readonly values?: 'normal' | 'uniform' | 'positive' | { readonly labels: number } | { readonly range: readonly [number, number] };
      /** False for inputs that are not differentiated (labels, targets). Default: true for float inputs. */
      readonly grad?: boolean;
    };

/**
 * One small configuration of a layer, as data, reused by every suite: finite differences,
 * CPU/WebGPU parity and the ONNX round trip. Keep it under ~2,000 scalars.
 */
export interface LayerCase<D extends AnyLayer = AnyLayer> {
  /** The layer under test ({@link defineCases} fills it in). */
  readonly layer: D;
  /** Short description shown in test names, e.g. `'3×3 stride 2, pads 1'`. */
  readonly name: string;
  /** The layer's attributes for this case; omitted ones take their defaults. */
  readonly attrs?: AttrInputOf<D>;
  /** How to draw each input: a shape (normal values) or a shape with a value distribution. */
  readonly inputs: readonly InputGen[];
  /** Mode the case runs in; default `'train'`. */
  readonly mode?: Mode;
  /**
   * Distance from a non-differentiable point (ReLU at 0, max-pool ties) under which a finite
   * difference is not trusted; such scalars are skipped by the gradient checker.
   */
  readonly kink?: number;
  /** Backends that cannot run this case, with the reason printed by the suites. */
  readonly skip?: Readonly<Record<string, string>>;
  /** Suites this case is not for, with the reason (e.g. { onnx: 'no ONNX mapping' }). */
  readonly skipSuites?: Readonly<Partial<Record<'gradcheck' | 'parity' | 'onnx', string>>>;
}

/** Typed helper: `defineCases(Conv2d, [{ name, attrs, inputs }])` checks attrs against the layer. */
export function defineCases<D extends AnyLayer>(layer: D, cases: readonly Omit<LayerCase<D>, 'layer'>[]): LayerCase<D>[] {
  return cases.map((c) => Object.freeze({ ...c, layer }));
}
