import type { OnnxMapping } from '@hubel/core';

/**
 * The fields `@hubel/io` reads from an `onnx` mapping beyond core's `OnnxMapping` (its
 * `OnnxIoExtension`, restated structurally so this package does not depend on io):
 * `inputsFromAttrs` for attributes ONNX takes as constant inputs (Reshape's shape, Clip's
 * bounds, reductions' axes) and `initializer` for a layer exported as its one parameter.
 */
export interface TensorIoExtension {
  readonly inputsFromAttrs?: readonly {
    readonly index: number;
    readonly attr: string;
    readonly dtype: 'int64' | 'float' | 'bool';
    readonly scalar?: boolean;
    readonly sinceOpset?: number;
    readonly onnxAttr?: string;
  }[];
  readonly initializer?: string;
}

/** Types an `onnx` mapping carrying io's extension fields (an object literal would fail excess-property checks). */
export function withIo<A>(m: OnnxMapping<A> & TensorIoExtension): OnnxMapping<A> {
  return m;
}
