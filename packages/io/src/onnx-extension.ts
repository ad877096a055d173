import type { AnyLayer, OnnxMapping } from '@hubel/core';

/**
 * What `@hubel/io` reads from a layer's `onnx` object beyond core's `OnnxMapping`. A layer
 * opts in by adding these fields to its `onnx` object; the exporter and importer handle
 * them generically, so io still has no per-layer code.
 *
 * ```ts
 * onnx: {
 *   since: 13,
 *   // ONNX Reshape takes the target shape as its second input, an int64 tensor.
 *   inputsFromAttrs: [{ index: 1, attr: 'shape', dtype: 'int64' }],
 * } satisfies OnnxMapping<...> & OnnxIoExtension
 * ```
 */
export interface OnnxIoExtension {
  /**
   * Attributes of ours that ONNX takes as constant *inputs* (Reshape's shape, Clip's min/max,
   * Pad's pads from opset 11, Dropout's ratio from 12, ReduceMean's axes from 18). The exporter
   * writes each as an initializer named `<node>.<attr>`; the importer folds a constant input
   * (initializer or Constant node output) back into the attribute, and rejects a computed one.
   */
  readonly inputsFromAttrs?: readonly OnnxInputFromAttr[];
  /**
   * For a layer whose whole content is one parameter (Hubel's Constant): the node is exported
   * as that parameter alone, an initializer named after the node's output when the parameter
   * is trainable, else an ONNX Constant node holding it.
   */
  readonly initializer?: string;
}

export interface OnnxInputFromAttr {
  /** Position among the ONNX node's inputs (data inputs count from 0). */
  readonly index: number;
  /** Our attribute carrying the value. */
  readonly attr: string;
  /** Element type of the ONNX tensor. */
  readonly dtype: 'int64' | 'float' | 'bool';
  /** A rank-0 tensor holding one number (Clip's min, Dropout's ratio) instead of a 1-D list. */
  readonly scalar?: boolean;
  /**
   * First opset of the layer's domain in which ONNX takes the value as an input. Below it the
   * value is a node attribute named `onnxAttr` (ReduceMean/ReduceMax: 18). Default: always an input.
   */
  readonly sinceOpset?: number;
  /** The attribute's ONNX name when it is an attribute (below `sinceOpset`); default: `attr` in snake_case. */
  readonly onnxAttr?: string;
}

/** A layer's ONNX mapping as io sees it: core's mapping plus the io extension. */
export type IoMapping = OnnxMapping<any> & OnnxIoExtension;

/**
 * Stopgap corrections for layer mappings that cannot express their modern ONNX form yet,
 * keyed by `domain::type`, merged over the layer's own mapping. Each entry belongs in the
 * layer's definition (see README, "Mapping patches"); io applies them as data, not as code.
 */
export const MAPPING_PATCHES: Readonly<Record<string, Partial<IoMapping>>> = Object.freeze({
  // Pad-2 takes pads/value as attributes; from opset 11 they are inputs (pads int64, constant_value scalar).
  '::Pad': {
    since: 11,
    attrs: (a: { mode: string }) => ({ mode: a.mode }),
    inputsFromAttrs: [
      { index: 1, attr: 'pads', dtype: 'int64', sinceOpset: 11 },
      { index: 2, attr: 'value', dtype: 'float', scalar: true, sinceOpset: 11 },
    ],
  },
  // ONNX Dropout's `seed` only picks the random stream of a training-mode run: it does not change inference.
  '::Dropout': { fromOnnx: (o: Record<string, unknown>) => (o.ratio === undefined ? {} : { ratio: o.ratio }) },
});

/** The layer's mapping with io's extension fields (and any patch), or undefined when the layer has no ONNX form. */
export function ioMapping(layer: AnyLayer): IoMapping | undefined {
  const m = layer.onnx as IoMapping | undefined;
  const patch = MAPPING_PATCHES[layer.key];
  return m && patch ? { ...m, ...patch } : m;
}

/** `kernelShape` → `kernel_shape` (ONNX attribute names). */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `kernel_shape` → `kernelShape`. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Whether the attribute-input is a node input (not an attribute) at `opset`. */
export function isInputAt(spec: OnnxInputFromAttr, opset: number): boolean {
  return spec.sinceOpset === undefined || opset >= spec.sinceOpset;
}
