import { HubelError, type AnyLayer, type AttrSpec, type AttrValue, type OnnxAttrValue, type OnnxFunctionNode } from '@hubel/core';
import { camelCase, isInputAt, snakeCase, type IoMapping } from './onnx-extension.js';
import { AttrType, type OnnxAttributeProto } from './proto/messages.js';
import { DataType, makeTensor, readTensor, type HostTensor } from './tensor-data.js';

type FunctionAttr = NonNullable<OnnxFunctionNode['attrs']>[string];

const isTensorAttr = (v: FunctionAttr): v is Extract<FunctionAttr, { tensor: unknown }> => typeof v === 'object' && v !== null && 'tensor' in v;

/**
 * One attribute for a NodeProto. Numbers become INT when integral and FLOAT otherwise, unless
 * `float` says the attribute is real-valued (a float attribute whose value happens to be 1
 * must still be written as FLOAT, or ONNX checkers reject the node).
 */
export function toAttribute(name: string, v: OnnxAttrValue | FunctionAttr, float = false): OnnxAttributeProto {
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: v };
  if (typeof v === 'boolean') return { name, type: AttrType.INT, i: v ? 1 : 0 };
  if (typeof v === 'number') return float || !Number.isInteger(v) ? { name, type: AttrType.FLOAT, f: v } : { name, type: AttrType.INT, i: v };
  if (Array.isArray(v)) {
    const list = v as readonly number[];
    return float || !list.every(Number.isInteger) ? { name, type: AttrType.FLOATS, floats: [...list] } : { name, type: AttrType.INTS, ints: [...list] };
  }
  if (isTensorAttr(v)) {
    const { dims, floats, int64s } = v.tensor;
    const t = int64s ? makeTensor('', dims, int64s, DataType.INT64) : makeTensor('', dims, floats ?? [], DataType.FLOAT);
    return { name, type: AttrType.TENSOR, t };
  }
  if ('float' in (v as object)) return { name, type: AttrType.FLOAT, f: (v as { float: number }).float };
  if ('floats' in (v as object)) return { name, type: AttrType.FLOATS, floats: [...(v as { floats: readonly number[] }).floats] };
  throw new HubelError('attribute', `attribute '${name}': cannot write value ${JSON.stringify(v)} to ONNX`);
}

/**
 * The ONNX attributes of a node of `layer` with attribute values `a`, at `opset` of the
 * layer's domain: the mapping's own `attrs(a)` when it has one, else every attribute with a
 * value, in snake_case, typed by the schema (bool → INT 0/1). Attributes that ONNX takes as
 * inputs at this opset (io's `inputsFromAttrs`) are left out.
 */
export function exportAttributes(layer: AnyLayer, m: IoMapping, a: Record<string, unknown>, opset: number): OnnxAttributeProto[] {
  const asInputs = new Set((m.inputsFromAttrs ?? []).filter((s) => isInputAt(s, opset)).map((s) => s.attr));
  const out: OnnxAttributeProto[] = [];
  if (m.attrs) {
    for (const [name, v] of Object.entries(m.attrs(a))) {
      if (v === undefined) continue;
      const kind = layer.attrs[camelCase(name)]?.kind;
      out.push(toAttribute(name, v, kind === 'float' || kind === 'floats'));
    }
    // Below their `sinceOpset`, attribute-inputs are plain attributes: add those the mapping left out.
    for (const s of m.inputsFromAttrs ?? []) {
      const name = s.onnxAttr ?? snakeCase(s.attr);
      if (asInputs.has(s.attr) || a[s.attr] === undefined || out.some((x) => x.name === name)) continue;
      const kind = layer.attrs[s.attr]?.kind;
      out.push(toAttribute(name, a[s.attr] as OnnxAttrValue, kind === 'float' || kind === 'floats'));
    }
    return out;
  }
  for (const [k, spec] of Object.entries(layer.attrs as Record<string, AttrSpec>)) {
    const v = a[k];
    if (v === undefined || asInputs.has(k)) continue;
    const name = m.inputsFromAttrs?.find((s) => s.attr === k)?.onnxAttr ?? snakeCase(k);
    out.push(toAttribute(name, v as OnnxAttrValue, spec.kind === 'float' || spec.kind === 'floats'));
  }
  return out;
}

/** An attribute's value as a plain JS value: numbers, number lists, strings, or a host tensor. */
export type ImportedAttr = AttrValue | HostTensor | readonly string[];

/**
 * The shortest decimal that rounds to the same float32 as `f`. ONNX stores FLOAT attributes
 * in 32 bits, so 0.01 comes back as 0.009999999776…; taking the shortest decimal restores the
 * value that was written, and an export → import round trip keeps attributes exactly.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f)) return f;
  const target = Math.fround(f);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return target;
}

/** Reads an AttributeProto's value (the field its `type` names). */
export function attributeValue(attr: OnnxAttributeProto, where: string): ImportedAttr {
  switch (attr.type) {
    case AttrType.FLOAT: return shortestFloat32(attr.f ?? 0);
    case AttrType.INT: return attr.i ?? 0;
    case AttrType.STRING: return attr.s ?? '';
    case AttrType.FLOATS: return (attr.floats ?? []).map(shortestFloat32);
    case AttrType.INTS: return attr.ints ?? [];
    case AttrType.STRINGS: return attr.strings ?? [];
    case AttrType.TENSOR:
      if (!attr.t) throw new HubelError('format', `${where}: attribute '${attr.name}' is declared TENSOR but holds no tensor`);
      return readTensor(attr.t, `${where}: attribute '${attr.name}'`);
    case 0:
      throw new HubelError('format', `${where}: attribute '${attr.name}' has no type (AttributeProto.type must be set from IR version 2)`);
    default:
      throw new HubelError('attribute', `${where}: attribute '${attr.name}' of type ${attr.type} (graphs, sparse tensors, type protos) is not supported`);
  }
}
