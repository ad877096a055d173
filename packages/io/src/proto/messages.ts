import { HubelError } from '@hubel/core';
import type protobuf from 'protobufjs';
import { onnxType } from './schema.js';

/**
 * Plain TypeScript views of the ONNX messages Hubel uses, with int64 fields as numbers.
 * `decode*` turns bytes into these (every failure a HubelError 'format' naming the file);
 * `encode*` writes them back through the same schema.
 */
export interface OnnxTensorProto {
  /** Tensor name (an initializer's is the value name nodes read). */
  readonly name: string;
  /** Dimensions, outermost first. */
  readonly dims: readonly number[];
  /** ONNX element type, a {@link DataType} value. */
  readonly dataType: number;
  /** Little-endian packed values (`raw_data`), when the tensor uses it. */
  readonly rawData?: Uint8Array;
  /** `float_data`: FLOAT values when not in `rawData`. */
  readonly floatData: readonly number[];
  /** `int32_data`: INT32, INT16, INT8, UINT16, UINT8, BOOL, and FLOAT16/BFLOAT16 bit patterns, when not in `rawData`. */
  readonly int32Data: readonly number[];
  /** `int64_data`: INT64 values when not in `rawData` (read as numbers). */
  readonly int64Data: readonly number[];
  /** `double_data`: DOUBLE values when not in `rawData`. */
  readonly doubleData: readonly number[];
  /** `uint64_data`: UINT32 and UINT64 values when not in `rawData`. */
  readonly uint64Data: readonly number[];
  /** `string_data`: STRING values as bytes. */
  readonly stringData: readonly Uint8Array[];
  /** Set when the tensor's bytes live in an external file (`data_location = EXTERNAL`). */
  readonly externalLocation?: string;
}

/** AttributeProto.AttributeType values. */
export const AttrType = Object.freeze({ FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 });

/** A node attribute (AttributeProto): name, {@link AttrType} and the field for that type. */
export interface OnnxAttributeProto {
  /** Attribute name (snake_case, as ONNX's operator docs spell it). */
  readonly name: string;
  /** An {@link AttrType} value: which field below holds the value. */
  readonly type: number;
  /** FLOAT value. */
  readonly f?: number;
  /** INT value. */
  readonly i?: number;
  /** STRING value (UTF-8 decoded). */
  readonly s?: string;
  /** TENSOR value. */
  readonly t?: OnnxTensorProto;
  /** FLOATS value. */
  readonly floats?: readonly number[];
  /** INTS value. */
  readonly ints?: readonly number[];
  /** STRINGS value. */
  readonly strings?: readonly string[];
  /** Inside function bodies: take the calling node's attribute of this name. */
  readonly refAttrName?: string;
}

/** One graph or function node (NodeProto). */
export interface OnnxNodeProto {
  /** Node name (Hubel writes its own node names). */
  readonly name: string;
  /** Operator type, e.g. `'Conv'`. */
  readonly opType: string;
  /** Operator domain; `''` is ai.onnx. */
  readonly domain: string;
  /** Value names read; `''` skips an optional input. */
  readonly inputs: readonly string[];
  /** Value names written; `''` leaves an optional output out. */
  readonly outputs: readonly string[];
  /** The node's attributes. */
  readonly attributes: readonly OnnxAttributeProto[];
  /** Which overload of a model-local function the node calls (IR 10). */
  readonly overload?: string;
  /** Free text. */
  readonly docString?: string;
}

/** A dimension: a size, a symbolic name (`'N'`), or null when unknown. */
export type OnnxDim = number | string | null;

/** A graph input, output or intermediate value with its type (ValueInfoProto). */
export interface OnnxValueInfoProto {
  /** Value name. */
  readonly name: string;
  /** Absent for non-tensor types (sequences, maps, optionals). */
  readonly elemType?: number;
  /** Absent when the rank is unknown. */
  readonly shape?: readonly OnnxDim[];
  /** 'tensor', or the kind of a non-tensor type. */
  readonly kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse' | 'unknown';
}

/** A graph (GraphProto): nodes in topological order, initializers, inputs and outputs. */
export interface OnnxGraphProto {
  /** Graph name. */
  readonly name: string;
  /** Nodes, in topological order. */
  readonly nodes: readonly OnnxNodeProto[];
  /** Constant tensors: the model's parameters. */
  readonly initializers: readonly OnnxTensorProto[];
  /** Graph inputs (may also list initializers, as older exporters do). */
  readonly inputs: readonly OnnxValueInfoProto[];
  /** Graph outputs. */
  readonly outputs: readonly OnnxValueInfoProto[];
  /** Types and shapes of intermediate values. */
  readonly valueInfo: readonly OnnxValueInfoProto[];
  /** Free text. */
  readonly docString?: string;
}

/** A model-local function (FunctionProto): how a custom-domain op decomposes into standard ops. */
export interface OnnxFunctionProto {
  /** The op type it defines. */
  readonly name: string;
  /** The domain of that op, e.g. `'ai.hubel'`. */
  readonly domain: string;
  /** Distinguishes variants of one op (different attribute values baked into the body). */
  readonly overload?: string;
  /** Formal input names. */
  readonly inputs: readonly string[];
  /** Formal output names. */
  readonly outputs: readonly string[];
  /** Names of the attributes a calling node may set. */
  readonly attributes: readonly string[];
  /** The body. */
  readonly nodes: readonly OnnxNodeProto[];
  /** Opsets the body's nodes use. */
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  /** Free text. */
  readonly docString?: string;
}

/** A whole model file (ModelProto). */
export interface OnnxModelProto {
  /** ONNX IR version of the file (Hubel writes the one its opset needs, see `irVersionFor`). */
  readonly irVersion: number;
  /** Program that wrote the file, e.g. `'hubel'`. */
  readonly producerName: string;
  /** Its version. */
  readonly producerVersion: string;
  /** Reverse-DNS namespace of the model. */
  readonly domain?: string;
  /** Version of the model itself. */
  readonly modelVersion?: number;
  /** Free text. */
  readonly docString?: string;
  /** Operator set version per domain (`''` is ai.onnx). */
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  /** The main graph. */
  readonly graph: OnnxGraphProto;
  /** `metadata_props` as key/value pairs. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Model-local functions (custom-domain layers' bodies). */
  readonly functions: readonly OnnxFunctionProto[];
}

// ---------------------------------------------------------------------------------------
// Decoding

type Msg = Record<string, any>;

/** int64 as decoded by protobufjs (a Long, or a number) → a safe JS integer, or a format error. */
function int(v: unknown, what: string, file: string): number {
  if (v === undefined || v === null) return 0;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'object' && 'low' in (v as Msg) && 'high' in (v as Msg)) {
    const l = v as { low: number; high: number; unsigned?: boolean };
    const hi = l.unsigned ? l.high >>> 0 : l.high | 0;
    n = hi * 4294967296 + (l.low >>> 0);
  } else throw new HubelError('format', `${file}: ${what} is not an integer`);
  if (!Number.isSafeInteger(n)) throw new HubelError('format', `${file}: ${what} = ${n} is outside the exactly representable integer range (±2^53)`);
  return n;
}

/** int64 list elements where large values may legitimately appear (tensor contents): nearest double. */
function looseInt(v: unknown): number {
  if (typeof v === 'number') return v;
  const l = v as { low: number; high: number; unsigned?: boolean };
  const hi = l.unsigned ? l.high >>> 0 : l.high | 0;
  return hi * 4294967296 + (l.low >>> 0);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
/** UTF-8 text of a bytes field; protobufjs leaves unset bytes fields as an empty array. */
const str = (b: unknown): string => (b instanceof Uint8Array ? utf8.decode(b) : Array.isArray(b) ? utf8.decode(Uint8Array.from(b as number[])) : '');

function tensorFrom(m: Msg, file: string): OnnxTensorProto {
  const name: string = m.name ?? '';
  const where = `tensor '${name}'`;
  const external = m.data_location === 1;
  let externalLocation: string | undefined;
  if (external) {
    const loc = (m.external_data as Msg[]).find((e) => e.key === 'location');
    externalLocation = loc?.value ?? '(no location given)';
  }
  return {
    name,
    dims: (m.dims as unknown[]).map((d, i) => int(d, `${where} dims[${i}]`, file)),
    dataType: m.data_type ?? 0,
    rawData: m.raw_data && m.raw_data.length ? (m.raw_data as Uint8Array) : Object.prototype.hasOwnProperty.call(m, 'raw_data') ? new Uint8Array(0) : undefined,
    floatData: m.float_data,
    int32Data: m.int32_data,
    int64Data: (m.int64_data as unknown[]).map(looseInt),
    doubleData: m.double_data,
    uint64Data: (m.uint64_data as unknown[]).map(looseInt),
    stringData: m.string_data,
    externalLocation,
  };
}

function attributeFrom(m: Msg, file: string): OnnxAttributeProto {
  const name: string = m.name ?? '';
  const where = `attribute '${name}'`;
  return {
    name,
    type: m.type ?? 0,
    f: m.f,
    i: m.i === undefined ? undefined : int(m.i, where, file),
    s: m.s ? str(m.s) : undefined,
    t: m.t ? tensorFrom(m.t, file) : undefined,
    floats: m.floats,
    ints: (m.ints as unknown[]).map((v, k) => int(v, `${where}[${k}]`, file)),
    strings: (m.strings as unknown[]).map((b) => str(b)),
    refAttrName: m.ref_attr_name || undefined,
  };
}

function nodeFrom(m: Msg, file: string): OnnxNodeProto {
  return {
    name: m.name ?? '',
    opType: m.op_type ?? '',
    domain: m.domain === 'ai.onnx' ? '' : (m.domain ?? ''),
    inputs: m.input,
    outputs: m.output,
    attributes: (m.attribute as Msg[]).map((a) => attributeFrom(a, file)),
    overload: m.overload || undefined,
    docString: m.doc_string || undefined,
  };
}

function valueInfoFrom(m: Msg, file: string): OnnxValueInfoProto {
  const name: string = m.name ?? '';
  const t: Msg | undefined = m.type;
  if (!t) return { name, kind: 'unknown' };
  if (t.tensor_type) {
    const tt: Msg = t.tensor_type;
    const shape = tt.shape
      ? (tt.shape.dim as Msg[]).map((d, i): OnnxDim => {
          if (d.value === 'dim_value') return int(d.dim_value, `value '${name}' dim ${i}`, file);
          if (d.value === 'dim_param') return d.dim_param as string;
          return null;
        })
      : undefined;
    return { name, elemType: tt.elem_type ?? 0, shape, kind: 'tensor' };
  }
  const kind = t.sequence_type ? 'sequence' : t.map_type ? 'map' : t.optional_type ? 'optional' : t.sparse_tensor_type ? 'sparse' : 'unknown';
  return { name, kind };
}

function opsetsFrom(list: Msg[], file: string) {
  return list.map((o) => ({ domain: o.domain === 'ai.onnx' ? '' : (o.domain ?? ''), version: int(o.version, `opset_import '${o.domain ?? ''}' version`, file) }));
}

function graphFrom(g: Msg | undefined, file: string): OnnxGraphProto {
  if (!g) throw new HubelError('format', `${file}: the model has no graph (ModelProto.graph, field 7, is missing)`);
  return {
    name: g.name ?? '',
    nodes: (g.node as Msg[]).map((n) => nodeFrom(n, file)),
    initializers: (g.initializer as Msg[]).map((t) => tensorFrom(t, file)),
    inputs: (g.input as Msg[]).map((v) => valueInfoFrom(v, file)),
    outputs: (g.output as Msg[]).map((v) => valueInfoFrom(v, file)),
    valueInfo: (g.value_info as Msg[]).map((v) => valueInfoFrom(v, file)),
    docString: g.doc_string || undefined,
  };
}

function decodeRaw(type: protobuf.Type, bytes: Uint8Array, file: string): Msg {
  if (!(bytes instanceof Uint8Array)) throw new HubelError('format', `${file}: expected bytes (Uint8Array), found ${typeof bytes}`);
  try {
    return type.decode(bytes) as Msg;
  } catch (e) {
    // protobufjs throws RangeError for truncation and Error for bad wire types; deep nesting
    // can overflow the stack. All of them mean the same thing to the caller: not a valid file.
    const why = e instanceof Error ? e.message : String(e);
    throw new HubelError('format', `${file}: not a valid ONNX ${type.name} (protobuf decoding failed: ${why})`, { cause: e });
  }
}

/**
 * Decodes a `.onnx` file. Throws HubelError 'format' naming `file` when the bytes are not a
 * ModelProto; semantic checks (graph validity, supported ops) are the importer's.
 */
export function decodeModel(bytes: Uint8Array, file = 'ONNX model'): OnnxModelProto {
  const m = decodeRaw(onnxType('ModelProto'), bytes, file);
  try {
    const metadata: Record<string, string> = {};
    for (const e of m.metadata_props as Msg[]) metadata[e.key ?? ''] = e.value ?? '';
    return {
      irVersion: int(m.ir_version, 'ir_version', file),
      producerName: m.producer_name ?? '',
      producerVersion: m.producer_version ?? '',
      domain: m.domain || undefined,
      modelVersion: m.model_version === undefined ? undefined : int(m.model_version, 'model_version', file),
      docString: m.doc_string || undefined,
      opsets: opsetsFrom(m.opset_import, file),
      graph: graphFrom(m.graph, file),
      metadata,
      functions: (m.functions as Msg[]).map((f) => ({
        name: f.name ?? '',
        domain: f.domain ?? '',
        overload: f.overload || undefined,
        inputs: f.input,
        outputs: f.output,
        attributes: f.attribute,
        nodes: (f.node as Msg[]).map((n) => nodeFrom(n, file)),
        opsets: opsetsFrom(f.opset_import, file),
        docString: f.doc_string || undefined,
      })),
    };
  } catch (e) {
    if (e instanceof HubelError) throw e;
    throw new HubelError('format', `${file}: malformed ModelProto (${(e as Error).message})`, { cause: e });
  }
}

/** Decodes one serialized TensorProto (a conformance `.pb` file). */
export function decodeTensorProto(bytes: Uint8Array, file = 'TensorProto'): OnnxTensorProto {
  return tensorFrom(decodeRaw(onnxType('TensorProto'), bytes, file), file);
}

/** Decodes an OptionalProto wrapping a SequenceProto of tensors, or a bare SequenceProto. */
export function decodeSequenceProto(bytes: Uint8Array, file = 'SequenceProto', wrapped: 'optional' | 'sequence' = 'sequence'): OnnxTensorProto[] | undefined {
  const m = decodeRaw(onnxType(wrapped === 'optional' ? 'OptionalProto' : 'SequenceProto'), bytes, file);
  const seq = wrapped === 'optional' ? m.sequence_value : m;
  if (!seq) return undefined;
  return (seq.tensor_values as Msg[]).map((t) => tensorFrom(t, file));
}

// ---------------------------------------------------------------------------------------
// Encoding

const utf8e = new TextEncoder();

function tensorTo(t: OnnxTensorProto): Msg {
  const out: Msg = { name: t.name, dims: [...t.dims], data_type: t.dataType };
  if (t.rawData) out.raw_data = t.rawData;
  if (t.floatData.length) out.float_data = [...t.floatData];
  if (t.int32Data.length) out.int32_data = [...t.int32Data];
  if (t.int64Data.length) out.int64_data = [...t.int64Data];
  if (t.doubleData.length) out.double_data = [...t.doubleData];
  return out;
}

function attributeTo(a: OnnxAttributeProto): Msg {
  const out: Msg = { name: a.name, type: a.type };
  if (a.refAttrName) out.ref_attr_name = a.refAttrName;
  switch (a.type) {
    case AttrType.FLOAT: out.f = a.f; break;
    case AttrType.INT: out.i = a.i; break;
    case AttrType.STRING: out.s = utf8e.encode(a.s ?? ''); break;
    case AttrType.TENSOR: out.t = tensorTo(a.t!); break;
    case AttrType.FLOATS: out.floats = [...(a.floats ?? [])]; break;
    case AttrType.INTS: out.ints = [...(a.ints ?? [])]; break;
    case AttrType.STRINGS: out.strings = (a.strings ?? []).map((s) => utf8e.encode(s)); break;
    default: throw new HubelError('format', `cannot write attribute '${a.name}' of type ${a.type}`);
  }
  return out;
}

function nodeTo(n: OnnxNodeProto): Msg {
  const out: Msg = { input: [...n.inputs], output: [...n.outputs], name: n.name, op_type: n.opType, attribute: n.attributes.map(attributeTo) };
  if (n.domain) out.domain = n.domain;
  if (n.overload) out.overload = n.overload;
  if (n.docString) out.doc_string = n.docString;
  return out;
}

function valueInfoTo(v: OnnxValueInfoProto): Msg {
  const tensor: Msg = { elem_type: v.elemType ?? 1 };
  if (v.shape) tensor.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})) };
  return { name: v.name, type: { tensor_type: tensor } };
}

/** Serializes a model. */
export function encodeModel(m: OnnxModelProto): Uint8Array {
  const msg: Msg = {
    ir_version: m.irVersion,
    producer_name: m.producerName,
    producer_version: m.producerVersion,
    opset_import: m.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    graph: {
      name: m.graph.name,
      node: m.graph.nodes.map(nodeTo),
      initializer: m.graph.initializers.map(tensorTo),
      input: m.graph.inputs.map(valueInfoTo),
      output: m.graph.outputs.map(valueInfoTo),
      value_info: m.graph.valueInfo.map(valueInfoTo),
      ...(m.graph.docString ? { doc_string: m.graph.docString } : {}),
    },
    metadata_props: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
    functions: m.functions.map((f) => ({
      name: f.name,
      domain: f.domain,
      ...(f.overload ? { overload: f.overload } : {}),
      input: [...f.inputs],
      output: [...f.outputs],
      attribute: [...f.attributes],
      node: f.nodes.map(nodeTo),
      opset_import: f.opsets.map((o) => ({ domain: o.domain, version: o.version })),
      ...(f.docString ? { doc_string: f.docString } : {}),
    })),
  };
  if (m.domain) msg.domain = m.domain;
  if (m.modelVersion !== undefined) msg.model_version = m.modelVersion;
  if (m.docString) msg.doc_string = m.docString;
  return onnxType('ModelProto').encode(msg).finish();
}

/** Serializes one TensorProto (the conformance `.pb` format). */
export function encodeTensorProto(t: OnnxTensorProto): Uint8Array {
  return onnxType('TensorProto').encode(tensorTo(t)).finish();
}
