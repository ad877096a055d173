import type { AnyLayer, OnnxInputFromAttr, OnnxMapping } from '@hubel/core';

/**
 * A layer's ONNX mapping as io reads it. `inputsFromAttrs` and `initializer` are part of
 * core's `OnnxMapping`; these aliases remain for io's callers.
 */
export type IoMapping = OnnxMapping<any>;
/** The part of {@link IoMapping} the exporter and importer handle beyond op type and attributes. */
export type OnnxIoExtension = Pick<OnnxMapping<any>, 'inputsFromAttrs' | 'initializer'>;
export type { OnnxInputFromAttr };

/** The layer's mapping, or undefined when the layer has no ONNX form. */
export function ioMapping(layer: AnyLayer): IoMapping | undefined {
  return layer.onnx as IoMapping | undefined;
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
