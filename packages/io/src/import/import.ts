import { HubelError, fmtShape, layerLabel, type Backend, type Model, type Registry } from '@hubel/core';
import { attributeValue } from '../attributes.js';
import { AttrType, decodeModel, type OnnxGraphProto, type OnnxModelProto, type OnnxNodeProto, type OnnxTensorProto } from '../proto/messages.js';
import { DataType, MAX_ELEMENTS, dataTypeName, readTensor, type HostTensor } from '../tensor-data.js';
import { FROZEN_KEY, readFrozenKeys } from '../frozen.js';
import { ADAPTERS } from './adapters.js';
import { ImportContext } from './context.js';
import { UnsupportedOnnxError, opLabel } from './errors.js';
import { importWithLayer } from './generic.js';
import { checkAndSort, inlineFunctions, nodeLabel } from './graph-check.js';

/** Options of `importOnnx`: where layers and kernels come from, and the backend to build on. */
export interface ImportOptions {
  /** Where the layers (and their kernels for `backend`) are registered. */
  readonly registry: Registry;
  /** Backend the model's parameters are created on. */
  readonly backend: Backend;
  /** Name used in error messages (a file path); default 'ONNX model'. */
  readonly file?: string;
  /** Seed for the model's stochastic stream (dropout). Default 0. */
  readonly seed?: number;
  /**
   * Values for graph inputs that feed parameters or attribute-inputs (a weight, Reshape's
   * shape, Clip's bounds given as graph inputs, as ONNX's node tests do): those uses are folded
   * as constants. A bound input used as data stays a graph input and must still be fed.
   */
  readonly inputValues?: Readonly<Record<string, OnnxTensorProto | HostTensor>>;
  /** Shapes for graph inputs with symbolic dimensions other than the first (batch) one. */
  readonly inputShapes?: Readonly<Record<string, readonly (number | null)[]>>;
}

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16]);
const INDEX_TYPES = new Set<number>([DataType.INT64, DataType.INT32]);
const INTEGER_TYPES = new Set<number>([DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32, DataType.INT64, DataType.UINT64]);

/**
 * Node input slots (by `domain::opType`) that ONNX types apart from the node's float output,
 * allowing any integer type there: Pow's exponent (ONNX's T2 is int8…uint64 or a float type,
 * while the output takes the base's type T). Hubel reads such integers as floats, which gives
 * the same result: float32 holds every integer up to 2^24 exactly, and Pow converts anyway.
 */
const INTEGER_READ_AS_FLOAT: Readonly<Record<string, readonly number[]>> = { '::Pow': [1] };

/**
 * The graph inputs of an integer element type that `importOnnx` declares as float inputs:
 * those that every node reads only where ONNX lets an integer tensor feed a float result (Pow's
 * exponent) and that are not graph outputs themselves. Feed them float tensors holding the
 * integer values. Any other integer input keeps its own rules (int32 for INT32/INT64 labels and
 * indices, UnsupportedOnnxError for the rest).
 */
export function integerInputsReadAsFloat(graph: OnnxGraphProto): Set<string> {
  const out = new Set<string>();
  const outputs = new Set(graph.outputs.map((o) => o.name));
  for (const i of graph.inputs) {
    if (i.kind !== 'tensor' || !INTEGER_TYPES.has(i.elemType ?? 0) || outputs.has(i.name)) continue;
    let read = false;
    let onlyAsFloat = true;
    for (const n of graph.nodes) {
      const slots = INTEGER_READ_AS_FLOAT[`${n.domain}::${n.opType}`] ?? [];
      n.inputs.forEach((v, k) => {
        if (v !== i.name) return;
        read = true;
        if (!slots.includes(k)) onlyAsFloat = false;
      });
    }
    if (read && onlyAsFloat) out.add(i.name);
  }
  return out;
}

/** How io can import an op: the Constant node itself, an adapter, or a registered layer. */
function canImport(ctx: ImportContext, n: OnnxNodeProto): boolean {
  if (n.domain === '' && n.opType === 'Constant') return true;
  if (ctx.layerFor(n.domain, n.opType)) return true;
  const adapter = ADAPTERS[`${n.domain}::${n.opType}`];
  return !!adapter && adapter.available((t) => !!ctx.layerFor('', t));
}

/**
 * The ONNX ops (`domain::opType`, '' for ai.onnx) that `importOnnx` can import with this
 * registry: every registered layer's op, the adapters whose layers are all registered, Constant.
 */
export function importableOps(registry: Registry): Set<string> {
  const ctx = new ImportContext(registry, new Map(), '', []);
  const out = new Set<string>(['::Constant']);
  for (const l of registry.layers) if (l.onnx) out.add(`${l.domain}::${l.onnx.opType ?? l.type}`);
  for (const [k, a] of Object.entries(ADAPTERS)) if (a.available((t) => !!ctx.layerFor('', t))) out.add(k);
  return out;
}

/**
 * Reads a `.onnx` file into a Hubel model on `options.backend`, for inference or fine-tuning:
 * initializers feeding parameters become the parameters' values (trainable as the layer
 * declares, except those the `hubel.frozen` metadata entry lists, which stay frozen; keys
 * naming no parameter of the graph are ignored), other initializers become trainable
 * Constant nodes, Constant nodes and constant inputs of attribute-like inputs (Reshape's
 * shape) fold into attributes. Graph inputs of an integer type are int32 inputs (labels,
 * indices), except those read only as Pow exponents, which are float inputs
 * (`integerInputsReadAsFloat`).
 *
 * Each node maps through the registered layer whose `onnx.opType` (or type) matches, with
 * attributes from the layer's `fromOnnx` or snake_case → camelCase; a few ops with wider ONNX
 * forms go through io's adapters (Gemm, Softmax before opset 13); calls of model-local
 * functions without a layer are inlined.
 *
 * Throws HubelError: 'format' for bytes that are not a valid model, 'graph' for invalid graphs
 * (cycles, values defined twice, missing initializers), 'attribute'/'shape' for bad node
 * contents, and UnsupportedOnnxError listing every unsupported op type at once.
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions): Model {
  const file = options.file ?? 'ONNX model';
  return importModelProto(decodeModel(bytes, file), options);
}

/** `importOnnx` for an already decoded model. */
export function importModelProto(proto: OnnxModelProto, options: ImportOptions): Model {
  const file = options.file ?? 'ONNX model';
  const graph = proto.graph;
  const opsets = new Map<string, number>();
  for (const o of proto.opsets) opsets.set(o.domain, Math.max(opsets.get(o.domain) ?? 0, o.version));
  // IR 1–2 models carry no opset_import and mean ai.onnx opset 1.
  if (!opsets.has('')) opsets.set('', 1);

  const allNames = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.initializers.map((t) => t.name)]);
  for (const n of graph.nodes) for (const o of n.outputs) allNames.add(o);
  const ctx = new ImportContext(options.registry, opsets, file, allNames, new Set(readFrozenKeys(proto.metadata, file)));

  const nodes = checkAndSort(graph, inlineFunctions(graph.nodes, proto.functions, (n) => canImport(ctx, n), file), file);
  const unsupported = [...new Set(nodes.filter((n) => !canImport(ctx, n)).map((n) => opLabel(n.domain, n.opType)))];
  if (unsupported.length) {
    throw new UnsupportedOnnxError(
      `${file}: unsupported ONNX operator(s): ${unsupported.join(', ')} (registered layers: ${options.registry.layers.map(layerLabel).sort().join(', ') || 'none'})`,
      unsupported,
    );
  }

  // Constants: initializers (weights), then bound graph inputs; graph inputs are declared here.
  const initNames = new Set<string>();
  for (const t of graph.initializers) {
    ctx.addConstant(t.name, readTensor(t, `${file}: initializer '${t.name}'`), 'initializer');
    initNames.add(t.name);
  }
  const pendingInputs = new Map<string, () => { shape: (number | null)[]; dtype: 'float' | 'int32' }>();
  const readAsFloat = integerInputsReadAsFloat({ ...graph, nodes });
  for (const i of graph.inputs) {
    const bound = options.inputValues?.[i.name];
    if (initNames.has(i.name) && !bound) continue; // an input with a default value: we use the default
    const where = `${file}: graph input '${i.name}'`;
    if (i.kind !== 'tensor') throw new UnsupportedOnnxError(`${where} is a ${i.kind}, not a tensor; Hubel graphs take tensors`, [`${i.kind} inputs`]);
    const et = i.elemType ?? 0;
    const asFloat = FLOAT_TYPES.has(et) || readAsFloat.has(i.name);
    if (!asFloat && !INDEX_TYPES.has(et)) {
      throw new UnsupportedOnnxError(`${where} has element type ${dataTypeName(et)}; Hubel computes on float tensors (and int32 class labels; integer Pow exponents are read as floats)`, [`${dataTypeName(et)} tensors`]);
    }
    const dtype = asFloat ? 'float' : 'int32';
    const declare = () => ({ shape: resolveInputShape(i.name, i.shape, options.inputShapes?.[i.name], where), dtype }) as const;
    if (bound) {
      const t = 'values' in bound ? bound : readTensor(bound, `${file}: value bound to input '${i.name}'`);
      ctx.addConstant(i.name, t, 'bound-input');
      pendingInputs.set(i.name, declare);
    } else {
      const d = declare();
      ctx.input(i.name, d.shape, d.dtype);
    }
  }
  ctx.bindPendingInputs(pendingInputs);

  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k];
    const where = nodeLabel(n, k);
    if (n.domain === '' && n.opType === 'Constant') {
      ctx.addConstant(n.outputs[0], constantValue(n, `${file}: ${where}`), 'constant-node');
      continue;
    }
    const name = ctx.nodeName(n.name || `${n.opType.toLowerCase()}${k}`);
    const adapter = ADAPTERS[`${n.domain}::${n.opType}`];
    if (adapter && adapter.available((t) => !!ctx.layerFor('', t))) adapter.import(ctx, n, name, where);
    else importWithLayer(ctx, n, ctx.layerFor(n.domain, n.opType)!, name, where);
  }
  const outputs = graph.outputs.map((o) => ctx.data(o.name, `graph output '${o.name}'`));
  ctx.builder.output(...outputs);
  // The frozen parameters live on the nodes now (model.frozenParams()); export writes the entry afresh.
  const { [FROZEN_KEY]: _frozen, ...metadata } = proto.metadata;
  return ctx.builder.build({
    backend: options.backend,
    seed: options.seed ?? 0,
    initialValues: ctx.initialValues,
    metadata,
  });
}

/** The AttributeProto type each Constant attribute Hubel reads must have. */
const CONSTANT_ATTR_TYPES: Readonly<Record<string, number>> = { value: AttrType.TENSOR, value_float: AttrType.FLOAT, value_floats: AttrType.FLOATS, value_int: AttrType.INT, value_ints: AttrType.INTS };

/** `attrTypeName(4)` → 'TENSOR', for messages. */
const attrTypeName = (t: number): string => Object.entries(AttrType).find(([, v]) => v === t)?.[0] ?? (t === 0 ? 'UNDEFINED' : `unknown type ${t}`);

/** The tensor a Constant node holds (attribute `value`, or one of the `value_*` forms). */
function constantValue(n: OnnxNodeProto, where: string): HostTensor {
  if (n.attributes.length !== 1) throw new HubelError('attribute', `${where}: a Constant node needs exactly one value attribute, found ${n.attributes.length}`);
  const a = n.attributes[0];
  // The attribute's declared type must be the one its name stands for: a file saying
  // `value` of type STRINGS holds no tensor, whatever the name promises.
  const expected = CONSTANT_ATTR_TYPES[a.name];
  if (expected !== undefined && a.type !== expected) {
    throw new HubelError('attribute', `${where}: Constant attribute '${a.name}' has type ${attrTypeName(a.type)}; it must be ${attrTypeName(expected)}`);
  }
  const v = attributeValue(a, where);
  switch (a.name) {
    case 'value':
      return v as HostTensor;
    case 'value_float':
      return { dims: [], dataType: DataType.FLOAT, values: Float32Array.of(v as number) };
    case 'value_floats':
      return { dims: [(v as number[]).length], dataType: DataType.FLOAT, values: Float32Array.from(v as number[]) };
    case 'value_int':
      return { dims: [], dataType: DataType.INT64, values: Float64Array.of(v as number) };
    case 'value_ints':
      return { dims: [(v as number[]).length], dataType: DataType.INT64, values: Float64Array.from(v as number[]) };
    default:
      throw new UnsupportedOnnxError(`${where}: Constant with attribute '${a.name}' is not supported (Hubel reads value, value_float(s), value_int(s))`, [`Constant ${a.name}`]);
  }
}

/** A graph input's shape for GraphBuilder: the first dimension may be symbolic (the batch). */
function resolveInputShape(name: string, declared: readonly (number | string | null)[] | undefined, given: readonly (number | null)[] | undefined, where: string): (number | null)[] {
  const shape = given ? [...given] : declared?.map((d, i) => (typeof d === 'number' ? d : i === 0 ? null : d));
  if (!shape) throw new HubelError('shape', `${where}: the rank is unknown; pass its shape in the inputShapes option`);
  const bad = shape.findIndex((d, i) => typeof d === 'string' || (d === null && i !== 0));
  if (bad >= 0) throw new HubelError('shape', `${where}: dimension ${bad} is symbolic ('${shape[bad]}'); Hubel allows only the first (batch) dimension to vary — pass a shape for '${name}' in inputShapes`);
  // The declared size bounds what layers compute from it (window tables, output sizes): a
  // corrupt dimension must stop here, as it would in a tensor (MAX_ELEMENTS, batch taken as 1).
  let n = 1;
  for (const d of shape) {
    if (d === null) continue;
    if (!(Number.isSafeInteger(d) && (d as number) >= 0)) throw new HubelError('shape', `${where}: bad dimension ${d} in shape ${fmtShape(shape as (number | null)[])}`);
    n *= d as number;
    if (n > MAX_ELEMENTS) throw new HubelError('shape', `${where}: shape ${fmtShape(shape as (number | null)[])} declares more than ${MAX_ELEMENTS} elements per example`);
  }
  return shape as (number | null)[];
}
