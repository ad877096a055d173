import { GraphBuilder, HubelError, fmtShape, layerLabel, sameShape, type AnyLayer, type Registry, type Shape } from '@hubel/core';
import { MAX_ELEMENTS, type HostTensor } from '../tensor-data.js';
import { UnsupportedOnnxError } from './errors.js';

/**
 * Where a constant came from: initializers are weights (trainable once imported), the rest are fixed.
 * @inline
 */
export type ConstantOrigin = 'initializer' | 'constant-node' | 'bound-input';

/**
 * A constant value known at import time, and where it came from.
 * @inline
 */
export interface ImportedConstant extends HostTensor {
  readonly origin: ConstantOrigin;
}

/**
 * The importer's state, shared by the generic layer mapping and the adapters: known constants,
 * the shape of every value (batch dimension taken as 1), the graph being built and the
 * parameters' initial values.
 */
export class ImportContext {
  /** The graph being built; adapters add nodes through `emit` rather than directly. */
  readonly builder: GraphBuilder;
  /** Initial parameter values by key (`node.param`), gathered from the file's constants as nodes are emitted. */
  readonly initialValues = new Map<string, ArrayLike<number>>();
  readonly #constants = new Map<string, ImportedConstant>();
  readonly #shapes = new Map<string, Shape>();
  readonly #materialized = new Map<string, string>();
  readonly #nodeNames = new Set<string>();
  readonly #valueNames: Set<string>;
  readonly #byOnnxOp = new Map<string, AnyLayer>();

  constructor(
    /** Where layers are looked up by ONNX op. */
    readonly registry: Registry,
    /** The file's opset version per domain (`''` is ai.onnx). */
    readonly opsets: ReadonlyMap<string, number>,
    /** File name for error messages. */
    readonly file: string,
    allValueNames: Iterable<string>,
    /** Parameter keys (`node.param`) to freeze, from the file's `hubel.frozen` metadata. */
    readonly frozen: ReadonlySet<string> = new Set(),
  ) {
    this.builder = new GraphBuilder({ registry });
    this.#valueNames = new Set(allValueNames);
    for (const l of registry.layers) {
      const key = `${l.domain}::${l.onnx?.opType ?? l.type}`;
      if (!this.#byOnnxOp.has(key)) this.#byOnnxOp.set(key, l);
    }
  }

  /** ai.onnx opset of the file. */
  get opset(): number {
    return this.opsetOf('');
  }

  /** The file's opset version for `domain` (1 when the file does not import it). */
  opsetOf(domain: string): number {
    return this.opsets.get(domain) ?? 1;
  }

  /** The registered layer that an ONNX (domain, op type) maps to, by its `onnx.opType` or `type`. */
  layerFor(domain: string, opType: string): AnyLayer | undefined {
    return this.#byOnnxOp.get(`${domain}::${opType}`);
  }

  /** A registered layer an adapter needs, or UnsupportedOnnxError naming what to register. */
  requireLayer(domain: string, type: string, where: string): AnyLayer {
    const l = this.layerFor(domain, type);
    if (!l) throw new UnsupportedOnnxError(`${this.file}: ${where} needs layer ${domain ? `${domain}.` : ''}${type}, which is not registered (register @hubel/layers-tensor)`, [type]);
    return l;
  }

  /** Records a constant value (an initializer, a Constant node's value or an input bound to data). */
  addConstant(name: string, t: HostTensor, origin: ConstantOrigin): void {
    this.#constants.set(name, { ...t, origin });
    this.#shapes.set(name, t.dims);
  }

  /** The constant named `name`, or undefined when the value is computed (or `''`). */
  constant(name: string): ImportedConstant | undefined {
    return name === '' ? undefined : this.#constants.get(name);
  }

  /** Records the shape of a value (batch dimension as 1). */
  setShape(name: string, shape: Shape): void {
    this.#shapes.set(name, shape);
  }

  /** Shape of a value, with the batch dimension as 1. */
  shape(name: string): Shape {
    const s = this.#shapes.get(name);
    if (!s) throw new HubelError('graph', `${this.file}: the shape of value '${name}' is unknown`);
    return s;
  }

  /** A node name not used yet, from a preferred one (`emit` reserves it). */
  nodeName(preferred: string): string {
    let name = preferred;
    for (let k = 2; this.#nodeNames.has(name); k++) name = `${preferred}_${k}`;
    return name;
  }

  /** A value name not used anywhere in the file or the graph being built. */
  freshValue(preferred: string): string {
    let name = preferred;
    for (let k = 2; this.#valueNames.has(name); k++) name = `${preferred}_${k}`;
    this.#valueNames.add(name);
    return name;
  }

  /**
   * A value name usable as a data input: graph values pass through; a constant is turned into
   * a Constant node (once), trainable when it was an initializer.
   */
  data(name: string, where: string): string {
    const pending = this.#pending.get(name);
    if (pending) {
      if (!this.#built.has(name)) {
        const { shape, dtype } = pending();
        this.input(name, shape, dtype);
      }
      return name;
    }
    const c = this.constant(name);
    if (!c) return name;
    const done = this.#materialized.get(name);
    if (done) return done;
    const out = this.constantNode(c.values, c.dims, { trainable: c.origin === 'initializer', name, where });
    this.#materialized.set(name, out);
    return out;
  }

  /** Emits a Hubel Constant node holding `values`; returns its output value name. */
  constantNode(values: ArrayLike<number>, dims: Shape, o: { trainable: boolean; name?: string; where: string }): string {
    const layer = this.requireLayer('', 'Constant', `${o.where} (a constant feeding a data input)`);
    const value = o.name && !this.builderHas(o.name) ? o.name : this.freshValue(o.name ?? 'const');
    const [out] = this.emit(layer, { shape: [...dims], trainable: o.trainable }, [], { name: value, outputs: [value], params: { value: Float64Array.from(values) }, where: o.where });
    return out;
  }

  #built = new Set<string>();
  #pending = new Map<string, () => { shape: (number | null)[]; dtype: 'float' | 'int32' }>();

  /** Graph inputs bound to values: declared as inputs only when a data slot reads them. */
  bindPendingInputs(pending: Map<string, () => { shape: (number | null)[]; dtype: 'float' | 'int32' }>): void {
    this.#pending = pending;
  }

  /** Whether the graph being built already has a value of this name. */
  builderHas(value: string): boolean {
    return this.#built.has(value);
  }

  #symbolicBatch = false;

  /**
   * A value's shape when it is fixed at import time, or undefined: no graph input declared so
   * far (nor `name` itself, when it is a bound input not declared yet) has a symbolic batch.
   */
  staticShape(name: string): Shape | undefined {
    const pending = this.#pending.get(name);
    if (this.#symbolicBatch || (pending && !this.#built.has(name) && pending().shape.includes(null))) return undefined;
    return this.shape(name);
  }

  readonly #intInputs = new Set<string>();

  /** Declares a graph input. */
  input(name: string, shape: readonly (number | null)[], dtype: 'float' | 'int32'): void {
    if (shape.includes(null)) this.#symbolicBatch = true;
    if (dtype === 'int32') this.#intInputs.add(name);
    this.builder.input(name, shape, dtype);
    this.#built.add(name);
    this.#shapes.set(name, shape.map((d) => d ?? 1));
  }

  /**
   * Adds a node applying `layer`: infers and records its output shapes, checks the given
   * parameter values against the layer's parameter shapes and records them as initial values.
   */
  emit(
    layer: AnyLayer,
    attrs: Record<string, unknown>,
    inputs: readonly string[],
    o: { name: string; outputs?: readonly string[]; params?: Readonly<Record<string, ArrayLike<number> & { dims?: Shape }>>; paramShapes?: Readonly<Record<string, Shape>>; where: string },
  ): string[] {
    const name = this.nodeName(o.name);
    this.#nodeNames.add(name);
    const where = `${this.file}: ${o.where}`;
    const resolved = layer.resolve(attrs, where);
    // An integer graph input in a float slot would fail at the first run (an integer Pow base,
    // Add on int32 tensors: ONNX computes those in integers): say so while importing.
    inputs.forEach((v, k) => {
      if (!this.#intInputs.has(v) || layer.inputDTypes?.[k] === 'int32') return;
      throw new UnsupportedOnnxError(
        `${where}: graph input '${v}' holds integers, but input ${k} ('${layer.inputs[k]}') of Hubel's ${layerLabel(layer)} computes on float; Hubel reads integer graph inputs only as class labels and indices (and Pow exponents, as floats)`,
        [`integer input ${k} of ${layerLabel(layer)}`],
      );
    });
    const inShapes = inputs.map((i) => this.shape(i));
    let outShapes: Shape[];
    try {
      outShapes = layer.inferShapes(resolved as never, inShapes);
    } catch (e) {
      throw new HubelError('shape', `${where}: ${(e as Error).message} (input shapes: ${inShapes.map(fmtShape).join(', ')})`, { cause: e });
    }
    // A corrupt attribute (pads of 2^31) can make a layer's output claim more than any tensor
    // holds; stop at that node, before the next layers compute with such sizes.
    for (const s of outShapes) {
      if (!s) continue;
      let n = 1;
      for (const d of s) {
        n *= d;
        if (!(Number.isSafeInteger(d) && d >= 0) || n > MAX_ELEMENTS) {
          throw new HubelError('shape', `${where}: the output shape ${fmtShape(s)} ${n > MAX_ELEMENTS ? `has more than ${MAX_ELEMENTS} elements per example` : `has a bad dimension ${d}`} (input shapes: ${inShapes.map(fmtShape).join(', ')})`);
        }
      }
    }
    const declared: Record<string, { shape: Shape } | undefined> = layer.params ? layer.params(resolved as never, inShapes) : {};
    for (const [p, spec] of Object.entries(declared)) {
      if (!spec) continue;
      const given = o.params?.[p];
      if (!given) throw new HubelError('graph', `${where}: no value for parameter '${p}' of ${layerLabel(layer)} (shape ${fmtShape(spec.shape)})`);
      const givenShape = o.paramShapes?.[p];
      if (givenShape && !sameShape(givenShape, spec.shape)) {
        throw new UnsupportedOnnxError(`${where}: initializer for parameter '${p}' has shape ${fmtShape(givenShape)}; Hubel's ${layerLabel(layer)} with these attributes needs ${fmtShape(spec.shape)}`, [`${layerLabel(layer)} with a ${fmtShape(givenShape)} ${p}`]);
      }
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (given.length !== n) throw new HubelError('shape', `${where}: parameter '${p}' has ${given.length} values, shape ${fmtShape(spec.shape)} needs ${n}`);
      this.initialValues.set(`${name}.${p}`, given);
    }
    for (const p of Object.keys(o.params ?? {})) {
      if (!declared[p]) throw new HubelError('graph', `${where}: a value is given for parameter '${p}', which ${layerLabel(layer)} with these attributes does not have (parameters: ${Object.keys(declared).filter((k) => declared[k]).join(', ') || 'none'})`);
    }
    const frozen = Object.keys(declared).filter((p) => declared[p] && this.frozen.has(`${name}.${p}`));
    const outs = this.builder.node(layer, resolved as never, inputs, { name, outputs: o.outputs ?? layer.outputs.map((x) => this.freshValue(`${name}.${x}`)), frozen });
    outs.forEach((v, i) => {
      if (!v) return; // an optional output the node leaves unbound
      this.#shapes.set(v, outShapes[i]);
      this.#built.add(v);
      this.#valueNames.add(v);
    });
    return outs;
  }
}
