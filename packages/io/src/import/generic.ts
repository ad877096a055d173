import { HubelError, layerLabel, type AnyLayer, type AttrValue, type Shape } from '@hubel/core';
import { attributeValue, type ImportedAttr } from '../attributes.js';
import { camelCase, ioMapping, isInputAt, snakeCase, type OnnxInputFromAttr } from '../onnx-extension.js';
import type { OnnxNodeProto } from '../proto/messages.js';
import type { ImportContext } from './context.js';
import { UnsupportedOnnxError } from './errors.js';

/** Converts an ONNX attribute value to the kind our attribute schema declares. */
function toOurKind(v: ImportedAttr, kind: string, where: string): unknown {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) throw new HubelError('attribute', `${where}: a tensor attribute cannot set a ${kind} attribute`);
  if (kind === 'bool') return typeof v === 'number' ? v !== 0 : v;
  return v;
}

/** The node's attributes as a plain record keyed by their ONNX names. */
export function onnxAttrs(node: OnnxNodeProto, where: string): Record<string, ImportedAttr> {
  const out: Record<string, ImportedAttr> = {};
  for (const a of node.attributes) {
    if (a.name in out) throw new HubelError('format', `${where}: attribute '${a.name}' is given twice`);
    out[a.name] = attributeValue(a, where);
  }
  return out;
}

/** A constant's values as the value of an attribute-input. */
function attrFromConstant(spec: OnnxInputFromAttr, values: ArrayLike<number>, dims: Shape, where: string): unknown {
  if (spec.scalar) {
    if (values.length !== 1) throw new HubelError('shape', `${where}: input for '${spec.attr}' must hold one value, found shape [${dims.join(', ')}]`);
    return spec.dtype === 'bool' ? values[0] !== 0 : values[0];
  }
  return Array.from(values);
}

/**
 * Calls a layer's `fromOnnx` on what the file holds. Mappings are written for well-formed
 * nodes (Conv's reads its weight's shape), so one that throws anything but a HubelError on a
 * corrupt node (a weight input missing, an attribute of the wrong type) is reported as a
 * HubelError 'graph' naming the node, with the mapping's error as the cause.
 */
function fromOnnxChecked(
  fromOnnx: (onnxAttrs: Record<string, AttrValue>, paramShapes: readonly Shape[], inputShapes: readonly Shape[]) => Record<string, unknown>,
  plain: Record<string, AttrValue>,
  paramShapes: readonly Shape[],
  inputShapes: readonly Shape[],
  layer: AnyLayer,
  node: OnnxNodeProto,
  where: string,
): Record<string, unknown> {
  try {
    return fromOnnx(plain, paramShapes, inputShapes);
  } catch (e) {
    if (e instanceof HubelError) throw e;
    const list = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ') || 'none';
    throw new HubelError(
      'graph',
      `${where}: Hubel's ${layerLabel(layer)} cannot read this node (inputs ${list(node.inputs)}, attributes ${list(node.attributes.map((a) => a.name))}): ${(e as Error)?.message ?? String(e)}`,
      { cause: e },
    );
  }
}

/**
 * Imports one node with a registered layer's own mapping. ONNX inputs are, in order: the
 * layer's data inputs, then its parameters (`onnx.params` order, or declaration order), with
 * io's attribute-inputs at their declared positions. Parameters and attribute-inputs must be
 * constants (initializers, Constant outputs or bound inputs).
 */
export function importWithLayer(ctx: ImportContext, node: OnnxNodeProto, layer: AnyLayer, name: string, where: string): void {
  const m = ioMapping(layer)!;
  const opset = ctx.opsetOf(layer.domain);
  const dataCount = layer.inputs.length;
  const attrInputs = (m.inputsFromAttrs ?? []).filter((s) => isInputAt(s, opset));
  const attrAt = new Map(attrInputs.map((s) => [s.index, s]));
  const ins = node.inputs;
  // The layer's trailing optional data inputs may be absent ('' or left off); a present one
  // after an absent one cannot be passed, since Hubel nodes take their inputs by position.
  const required = dataCount - (layer.optionalInputs ?? 0);
  for (let i = 0; i < required; i++) {
    if (!ins[i]) throw new HubelError('graph', `${where}: data input ${i} ('${layer.inputs[i]}') is missing`);
  }
  let given = required;
  while (given < dataCount && ins[given]) given++;
  for (let i = given; i < dataCount; i++) {
    if (ins[i]) throw new UnsupportedOnnxError(`${where}: optional input ${i} ('${layer.inputs[i]}') is given while input ${given} ('${layer.inputs[given]}') is absent; Hubel's ${layerLabel(layer)} takes its optional inputs in order`, [`${node.opType} with a gap in its optional inputs`]);
  }
  // Outputs first: a variant that asks for outputs we do not compute is unsupported, whatever its attributes.
  const outputs = [...node.outputs];
  while (outputs.length && outputs[outputs.length - 1] === '') outputs.pop();
  if (outputs.length > layer.outputs.length) {
    const extra = outputs.slice(layer.outputs.length).filter(Boolean);
    throw new UnsupportedOnnxError(`${where}: output(s) ${extra.map((o) => `'${o}'`).join(', ')} are requested, but Hubel's ${layerLabel(layer)} computes only ${layer.outputs.join(', ')}`, [`${node.opType} with ${outputs.length} outputs`]);
  }

  // Inputs after the data inputs: attribute-inputs at their positions, parameters in order.
  const paramInputs: { onnxIndex: number; value: string }[] = [];
  const attrValues: Record<string, unknown> = {};
  for (let i = dataCount; i < ins.length; i++) {
    const spec = attrAt.get(i);
    if (!spec) {
      paramInputs.push({ onnxIndex: i, value: ins[i] });
      continue;
    }
    if (!ins[i]) continue;
    const c = ctx.constant(ins[i]);
    if (!c) {
      throw new UnsupportedOnnxError(`${where}: input ${i} ('${ins[i]}') sets attribute '${spec.attr}' of Hubel's ${layerLabel(layer)} and must be a constant (an initializer or a Constant node), but it is computed at run time`, [`${node.opType} with a computed ${spec.attr}`]);
    }
    attrValues[spec.attr] = attrFromConstant(spec, c.values, c.dims, `${where}: input ${i}`);
  }
  const paramShapes = paramInputs.map((p) => (p.value ? ctx.shape(p.value) : undefined)) as Shape[];
  const inputShapes = ins.slice(0, given).map((i) => ctx.shape(i));

  // Attributes: the layer's fromOnnx, or ONNX names in camelCase onto our schema. fromOnnx also
  // sees the attribute-inputs, under their ONNX attribute names, so it can fold one input into
  // another (Pad's `axes` into full-rank `pads`); what it returns wins over them.
  const raw = onnxAttrs(node, where);
  let attrs: Record<string, unknown>;
  if (m.fromOnnx) {
    const plain: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v !== 'object' || Array.isArray(v)) plain[k] = v as AttrValue;
    for (const s of attrInputs) if (attrValues[s.attr] !== undefined) plain[s.onnxAttr ?? snakeCase(s.attr)] = attrValues[s.attr] as AttrValue;
    attrs = { ...fromOnnxChecked(m.fromOnnx, plain, paramShapes, inputShapes, layer, node, `${ctx.file}: ${where}`) };
    for (const [k, v] of Object.entries(attrValues)) if (!(k in attrs) && k in layer.attrs) attrs[k] = v;
  } else {
    attrs = {};
    const unknown: string[] = [];
    for (const [k, v] of Object.entries(raw)) {
      const viaInput = (m.inputsFromAttrs ?? []).find((s) => !isInputAt(s, opset) && (s.onnxAttr ?? snakeCase(s.attr)) === k);
      const ours = viaInput ? viaInput.attr : camelCase(k);
      const spec = layer.attrs[ours];
      if (!spec) unknown.push(k);
      else attrs[ours] = toOurKind(v, spec.kind, `${where}: attribute '${k}'`);
    }
    if (unknown.length) {
      throw new HubelError('attribute', `${where}: unknown attribute(s) ${unknown.map((u) => `'${u}'`).join(', ')} for Hubel's ${layerLabel(layer)} (it reads: ${Object.keys(layer.attrs).join(', ') || 'none'})`);
    }
    Object.assign(attrs, attrValues);
  }

  // Parameters: declared names in ONNX order, each fed by a constant.
  // The file is valid ONNX but may use values outside what our layer declares (3-D windows for a
  // 2-D pool, reduction 'none'): that is a variant Hubel does not implement, not a corrupt file.
  let resolved: Record<string, unknown>;
  try {
    resolved = layer.resolve(attrs, `${ctx.file}: ${where}`);
  } catch (e) {
    if (e instanceof HubelError && e.code === 'attribute') {
      throw new UnsupportedOnnxError(`${e.message} (Hubel's ${layerLabel(layer)} does not implement this form of ${node.opType})`, [`${node.opType} variant`]);
    }
    throw e;
  }
  const declared = layer.params ? layer.params(resolved as never, inputShapes) : {};
  const order = m.params ?? Object.keys(declared);
  const params: Record<string, ArrayLike<number>> = {};
  const givenShapes: Record<string, Shape> = {};
  paramInputs.forEach((p, k) => {
    const pname = order[k];
    if (!p.value) return;
    if (pname === undefined) {
      throw new UnsupportedOnnxError(`${where}: input ${p.onnxIndex} ('${p.value}') has no counterpart in Hubel's ${layerLabel(layer)} (parameters: ${order.join(', ') || 'none'})`, [`${node.opType} with input ${p.onnxIndex}`]);
    }
    const c = ctx.constant(p.value);
    if (!c) {
      throw new UnsupportedOnnxError(`${where}: input ${p.onnxIndex} ('${p.value}') feeds parameter '${pname}' of Hubel's ${layerLabel(layer)} and must be an initializer; it is ${ctx.builderHas(p.value) ? 'a graph input or a computed value (bind graph inputs with the inputValues option)' : 'not a constant'}`, [`${node.opType} with computed ${pname}`]);
    }
    params[pname] = c.values;
    givenShapes[pname] = c.dims;
  });
  const data = ins.slice(0, given).map((v) => ctx.data(v, where));
  // Outputs the file leaves out stay unbound ('', trailing ones dropped), so the kernel may skip them.
  const outs = layer.outputs.slice(0, Math.max(1, outputs.length)).map((o, i) => outputs[i] || (i === 0 ? ctx.freshValue(`${name}.${o}`) : ''));
  ctx.emit(layer, resolved, data, { name, outputs: outs, params, paramShapes: givenShapes, where });
}
