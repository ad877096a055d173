import { HubelError, layerLabel, type Model, type Node, type OnnxFunctionBody } from '@hubel/core';
import { exportAttributes, toAttribute } from '../attributes.js';
import { ioMapping, isInputAt, type IoMapping } from '../onnx-extension.js';
import type { OnnxDim, OnnxFunctionProto, OnnxModelProto, OnnxNodeProto, OnnxTensorProto, OnnxValueInfoProto } from '../proto/messages.js';
import { encodeModel } from '../proto/messages.js';
import { FROZEN_KEY } from '../frozen.js';
import { DataType, makeTensor } from '../tensor-data.js';
import { HUBEL_PRODUCER, HUBEL_VERSION } from '../version.js';

export interface ExportOptions {
  /**
   * ai.onnx opset to declare. Default: the highest `since` among the layers used (and their
   * function bodies' needs), at least 13. Must be ≤ 26 for ONNX Runtime 1.30.
   */
  readonly opset?: number;
  /** Graph name; default 'hubel'. */
  readonly graphName?: string;
  /** Name of the symbolic batch dimension in value infos; default 'N'. */
  readonly batchName?: string;
  /** Entries added to the model's own metadata in `metadata_props`. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Text for the model's `doc_string`. */
  readonly docString?: string;
  /**
   * Element type of the float initializers and graph values: 'float32' (default; what every
   * runtime reads) or 'float64' (exact copies of a float64 backend's parameters).
   */
  readonly floatType?: 'float32' | 'float64';
  /** Extra initializers appended to the graph (checkpoints store optimizer state this way). */
  readonly extraInitializers?: readonly OnnxTensorProto[];
}

/** Lowest ai.onnx opset Hubel writes: Softmax/LogSoftmax per-axis semantics start at 13. */
export const MIN_EXPORT_OPSET = 13;

/** Highest ai.onnx opset ONNX Runtime 1.30 loads (onnx-notes §5.3). */
export const MAX_EXPORT_OPSET = 26;

/**
 * IR version to pair with an opset (onnx-notes §5.2), never below 10: model-local functions
 * need IR 8 and function overloads IR 10.
 */
export function irVersionFor(opset: number): number {
  return opset <= 22 ? 10 : opset === 23 ? 11 : opset === 24 ? 12 : 13;
}

/**
 * Serializes a model as ONNX (one ModelProto). Each node is written from its layer's `onnx`
 * mapping (op type, attributes, parameter order, io's `inputsFromAttrs`); layers in a custom
 * domain (`ai.hubel`) also get a model-local FunctionProto with their body in standard ops, so
 * other engines run them. Parameters become initializers named `<node>.<param>` with raw
 * little-endian data (frozen ones too, listed in the `hubel.frozen` metadata entry); graph
 * inputs and outputs carry shapes with the batch dimension symbolic.
 *
 * Throws HubelError 'graph' listing every layer without an ONNX mapping, and 'attribute' when
 * `opset` is lower than a layer needs. Reads parameters with `await tensor.read()`, so it works
 * on any backend.
 */
export async function exportOnnx(model: Model, options: ExportOptions = {}): Promise<Uint8Array> {
  return encodeModel(await buildModelProto(model, options));
}

/** The ModelProto `exportOnnx` serializes, as plain data (for inspection and checkpoints). */
export async function buildModelProto(model: Model, options: ExportOptions = {}): Promise<OnnxModelProto> {
  const floatType = options.floatType ?? 'float32';
  const floatDT = floatType === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
  const batch = options.batchName ?? 'N';

  const missing = model.nodes.filter((n) => !ioMapping(n.layer)).map((n) => `node '${n.name}' (${layerLabel(n.layer)})`);
  if (missing.length) throw new HubelError('graph', `cannot export to ONNX: no ONNX mapping for ${missing.join(', ')}; give the layer definitions an 'onnx' mapping`);

  // Opsets: each domain at the highest version its layers (and function bodies) need.
  const needs = new Map<string, { version: number; by: string }>([['', { version: MIN_EXPORT_OPSET, by: 'Hubel’s minimum' }]]);
  const need = (domain: string, version: number, by: string) => {
    const prev = needs.get(domain);
    if (!prev || version > prev.version) needs.set(domain, { version, by });
  };
  const bodies = new Map<Node, OnnxFunctionBody>();
  for (const n of model.nodes) {
    const m = ioMapping(n.layer)!;
    need(n.layer.domain, m.since, `node '${n.name}' (${layerLabel(n.layer)})`);
    if (n.layer.domain !== '' && m.functionBody) {
      const body = m.functionBody(n.attrs);
      bodies.set(n, body);
      for (const [d, v] of Object.entries(body.opsets ?? {})) need(d === 'ai.onnx' ? '' : d, v, `the function body of node '${n.name}'`);
    }
  }
  const required = needs.get('')!;
  const opset = options.opset ?? required.version;
  if (opset < required.version) throw new HubelError('attribute', `export: opset ${opset} is too low: ${required.by} needs ai.onnx opset ${required.version}`);
  if (opset > MAX_EXPORT_OPSET) throw new HubelError('attribute', `export: opset ${opset} is above ${MAX_EXPORT_OPSET}, the highest ONNX Runtime 1.30 loads`);
  needs.set('', { version: opset, by: 'export options' });
  const opsetOf = (domain: string) => needs.get(domain)!.version;

  const initializers: OnnxTensorProto[] = [];
  const nodes: OnnxNodeProto[] = [];
  const functions: OnnxFunctionProto[] = [];
  const functionVariants = new Map<string, string[]>();

  // Values some node reads or the graph returns: an output after the first that is neither is
  // left out of the exported node (ONNX's optional outputs, e.g. MaxPool's Indices, which
  // BatchNormalization in inference mode must not even name).
  const read = new Set<string>([...model.outputs, ...model.nodes.flatMap((n) => n.inputs)]);
  for (const n of model.nodes) {
    const m = ioMapping(n.layer)!;
    const where = `node '${n.name}' (${layerLabel(n.layer)})`;
    if (m.initializer) {
      nodes.push(...(await exportAsInitializer(n, m.initializer, floatDT, initializers, where)));
      continue;
    }
    const opType = m.opType ?? n.layer.type;
    const domainOpset = opsetOf(n.layer.domain);
    const inputs = await nodeInputs(n, m, domainOpset, floatDT, initializers, where);
    const attributes = exportAttributes(n.layer, m, n.attrs as Record<string, unknown>, domainOpset);
    let overload: string | undefined;
    const body = bodies.get(n);
    if (body) overload = addFunction(functions, functionVariants, n, opType, body, attributes.map((a) => a.name), opset);
    nodes.push({ name: n.name, opType, domain: n.layer.domain, inputs, outputs: exportedOutputs(n, read), attributes, overload });
  }
  // A function with one variant needs no overload: drop it so IR-8/9 readers are happy too.
  for (const f of functions) {
    if (functionVariants.get(`${f.domain}::${f.name}`)!.length === 1) {
      (f as { overload?: string }).overload = undefined;
      for (const node of nodes) if (node.domain === f.domain && node.opType === f.name) (node as { overload?: string }).overload = undefined;
    }
  }
  initializers.push(...(options.extraInitializers ?? []));

  const dims = (shape: readonly (number | null)[]): OnnxDim[] => shape.map((d) => (d === null ? batch : d));
  const elemOf = (dtype: string) => (dtype === 'int32' ? DataType.INT64 : floatDT);
  const info = (name: string): OnnxValueInfoProto => {
    const v = model.valueInfo.get(name);
    return { name, kind: 'tensor', elemType: elemOf(v?.dtype ?? 'float'), shape: v ? dims(v.shape) : undefined };
  };
  const graphOutputs = new Set(model.outputs);
  const initializerNames = new Set(initializers.map((t) => t.name));
  const valueInfo: OnnxValueInfoProto[] = [];
  for (const n of model.nodes) {
    for (const o of exportedOutputs(n, read)) if (o && !graphOutputs.has(o) && !initializerNames.has(o) && model.valueInfo.has(o)) valueInfo.push(info(o));
  }
  return {
    irVersion: irVersionFor(opset),
    producerName: HUBEL_PRODUCER,
    producerVersion: HUBEL_VERSION,
    docString: options.docString,
    opsets: [...needs.entries()].map(([domain, { version }]) => ({ domain, version })),
    graph: {
      name: options.graphName ?? 'hubel',
      nodes,
      initializers,
      inputs: model.inputs.map((i) => ({ name: i.name, kind: 'tensor', elemType: elemOf(i.dtype), shape: dims(i.shape) })),
      outputs: model.outputs.map(info),
      valueInfo,
    },
    metadata: withFrozen({ ...model.metadata, ...(options.metadata ?? {}) }, model.frozenParams()),
    functions,
  };
}

/** The metadata with {@link FROZEN_KEY} listing `frozen` (and no stale entry when none is). */
function withFrozen(metadata: Record<string, string>, frozen: readonly string[]): Record<string, string> {
  delete metadata[FROZEN_KEY];
  if (frozen.length) metadata[FROZEN_KEY] = JSON.stringify(frozen);
  return metadata;
}

async function paramTensor(n: Node, pname: string, dataType: number, name: string): Promise<OnnxTensorProto> {
  const t = n.params[pname];
  return makeTensor(name, t.shape, await t.read(), t.dtype === 'int32' ? DataType.INT64 : dataType);
}

/**
 * A node's outputs as exported: the first always, later ones only when `read`, trailing blanks
 * dropped; outputs the mapping requires (`requiredOutputs`) are named `node.Output` when unbound.
 */
function exportedOutputs(n: Node, read: ReadonlySet<string>): string[] {
  const required = ioMapping(n.layer)?.requiredOutputs?.(n.attrs) ?? 1;
  const outs = n.layer.outputs.map((name, i) => {
    const o = n.outputs[i];
    if (o && (i === 0 || read.has(o))) return o;
    return i < required ? `${n.name}.${name}` : '';
  });
  while (outs.length > 1 && outs[outs.length - 1] === '') outs.pop();
  return outs;
}

/** Data inputs, then parameters and attribute-inputs in ONNX order; initializers are appended to `out`. */
async function nodeInputs(n: Node, m: IoMapping, opset: number, floatDT: number, out: OnnxTensorProto[], where: string): Promise<string[]> {
  const attrInputs = (m.inputsFromAttrs ?? []).filter((s) => isInputAt(s, opset));
  const paramOrder = m.params ?? Object.keys(n.paramSpecs);
  for (const p of Object.keys(n.params)) {
    if (!paramOrder.includes(p)) throw new HubelError('graph', `${where}: parameter '${p}' is missing from the layer's onnx.params order (${paramOrder.join(', ')})`);
  }
  const total = n.inputs.length + paramOrder.length + attrInputs.length;
  const slots: (string | undefined)[] = new Array(total).fill(undefined);
  for (const s of attrInputs) {
    if (s.index < n.inputs.length || s.index >= total) throw new HubelError('graph', `${where}: inputsFromAttrs index ${s.index} for '${s.attr}' is outside ${n.inputs.length}..${total - 1}`);
    const v = (n.attrs as Record<string, unknown>)[s.attr];
    if (v === undefined) {
      slots[s.index] = '';
      continue;
    }
    const name = `${n.name}.${s.attr}`;
    const values = typeof v === 'boolean' ? [v ? 1 : 0] : typeof v === 'number' ? [v] : (v as readonly number[]);
    const dims = s.scalar ? [] : [values.length];
    const dt = s.dtype === 'int64' ? DataType.INT64 : s.dtype === 'bool' ? DataType.BOOL : floatDT;
    out.push(makeTensor(name, dims, values, dt));
    slots[s.index] = name;
  }
  const rest = [...n.inputs];
  for (const p of paramOrder) {
    if (!n.params[p]) {
      rest.push('');
      continue;
    }
    const name = `${n.name}.${p}`;
    out.push(await paramTensor(n, p, floatDT, name));
    rest.push(name);
  }
  let k = 0;
  for (let i = 0; i < total; i++) if (slots[i] === undefined) slots[i] = rest[k++];
  const list = slots as string[];
  while (list.length && list[list.length - 1] === '') list.pop();
  return list;
}

/** io's `initializer` extension: the node is its parameter (Hubel's Constant). */
async function exportAsInitializer(n: Node, pname: string, floatDT: number, out: OnnxTensorProto[], where: string): Promise<OnnxNodeProto[]> {
  if (!n.params[pname]) throw new HubelError('graph', `${where}: onnx.initializer names parameter '${pname}', which the node does not have`);
  const output = n.outputs[0];
  const t = await paramTensor(n, pname, floatDT, output);
  if (n.paramSpecs[pname]?.trainable !== false) {
    out.push(t);
    return [];
  }
  return [{ name: n.name, opType: 'Constant', domain: '', inputs: [], outputs: [output], attributes: [{ name: 'value', type: 4, t: { ...t, name: '' } }] }];
}

/**
 * Adds the FunctionProto for a custom-domain node. The body depends on the node's attribute
 * values, so distinct bodies of one op become overloads `v0`, `v1`, ... (IR 10); the node's
 * attributes are declared on the function so checkers accept them.
 */
function addFunction(functions: OnnxFunctionProto[], variants: Map<string, string[]>, n: Node, opType: string, body: OnnxFunctionBody, attrNames: string[], opset: number): string {
  const key = `${n.layer.domain}::${opType}`;
  const text = JSON.stringify(body);
  const list = variants.get(key) ?? [];
  variants.set(key, list);
  let index = list.indexOf(text);
  if (index >= 0) return `v${index}`;
  index = list.length;
  list.push(text);
  const opsets = new Map<string, number>([['', opset]]);
  for (const [d, v] of Object.entries(body.opsets ?? {})) if (d !== '' && d !== 'ai.onnx') opsets.set(d, v);
  functions.push({
    name: opType,
    domain: n.layer.domain,
    overload: `v${index}`,
    inputs: [...body.inputs],
    outputs: [...body.outputs],
    attributes: attrNames,
    nodes: body.nodes.map((b, i) => ({
      name: `${opType}_${i}`,
      opType: b.opType,
      domain: b.domain === 'ai.onnx' ? '' : (b.domain ?? ''),
      inputs: [...b.inputs],
      outputs: [...b.outputs],
      attributes: Object.entries(b.attrs ?? {}).map(([name, v]) => toAttribute(name, v)),
    })),
    opsets: [...opsets.entries()].map(([domain, version]) => ({ domain, version })),
    docString: layerLabel(n.layer) + (n.layer.doc ? `: ${n.layer.doc}` : ''),
  });
  return `v${index}`;
}
