import type { Backend } from '../backend.js';
import { HubelError, fmtShape } from '../errors.js';
import { initialize, type InitSpec } from '../init.js';
import { layerLabel, type AnyLayer, type AttrInputOf, type ParamSpec } from '../layer.js';
import { defaultRegistry, type Registry } from '../registry.js';
import { Rng } from '../rng.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import { Model, uniqueName, type Node, type ValueInfo } from './model.js';

interface PendingNode {
  name: string;
  layer: AnyLayer;
  attrs: Readonly<Record<string, unknown>>;
  inputs: string[];
  outputs: string[];
  frozen: true | readonly string[] | undefined;
  init: Readonly<Record<string, InitSpec>> | undefined;
}

/** Per-node options of {@link GraphBuilder.node} and {@link GraphBuilder.add}. */
export interface NodeOptions {
  /** The node's name (default: the lower-cased layer type and a counter, `conv1`). */
  readonly name?: string;
  /**
   * Parameters to freeze: `true` for all of the node's parameters, or their names (`['W']`).
   * A frozen parameter is `trainable: false`: the executor computes no gradient for it and no
   * optimizer updates it (nor decays it), yet it is still exported to ONNX as an initializer,
   * and `importOnnx` freezes it again (the keys travel in the `hubel.frozen` metadata entry).
   * `build()` throws naming the layer's parameters when a name is not one of them.
   */
  readonly frozen?: boolean | readonly string[];
  /**
   * Initializers by parameter name that replace the layer's own (`{ B: { kind: 'constant',
   * value: -0.5 } }`, or a function of the shape and a seeded {@link Rng}): for a layer whose
   * attributes cannot say how the model needs a parameter to start. Values given to `build()`
   * as `initialValues` still win. `build()` throws naming the layer's parameters when a name is
   * not one of them.
   */
  readonly init?: Readonly<Record<string, InitSpec>>;
}

/** How {@link GraphBuilder.build} and {@link Sequential.build} create the model's parameters. */
export interface BuildOptions {
  /** The backend the parameters are created on and the model runs on. */
  readonly backend: Backend;
  /** Seed for parameter initialization and the model's default stochastic stream. Default 0. */
  readonly seed?: number;
  /** Initial values by parameter key (`node.param`), e.g. from a file; others are initialized. */
  readonly initialValues?: ReadonlyMap<string, ArrayLike<number>> | Readonly<Record<string, ArrayLike<number>>>;
  /** Free-form key/value pairs kept with the model (written to ONNX's `metadata_props` on export). */
  readonly metadata?: Record<string, string>;
}

/**
 * Builds a graph: declare inputs, add layer nodes over named values, declare outputs, then
 * `build()` infers every shape, creates the parameters and returns a Model.
 */
export class GraphBuilder {
  readonly #inputs: ValueInfo[] = [];
  readonly #nodes: PendingNode[] = [];
  readonly #outputs: string[] = [];
  readonly #values = new Set<string>();
  readonly #counters = new Map<string, number>();
  /** The registry the built model looks its kernels up in. */
  readonly registry: Registry;

  constructor(options: { registry?: Registry } = {}) {
    this.registry = options.registry ?? defaultRegistry;
  }

  /** Declares a graph input; `null` in the first dimension marks the batch. Returns the value name. */
  input(name: string, shape: readonly (number | null)[], dtype: DType | 'float' = 'float'): string {
    this.#claim(name, `graph input '${name}'`);
    shape.forEach((d, i) => {
      if (d === null ? i !== 0 : !(Number.isInteger(d) && d >= 0)) throw new HubelError('shape', `graph input '${name}': bad shape ${fmtShape(shape)} (non-negative integers, 0 for an empty dimension; null only for the batch dimension)`);
    });
    this.#inputs.push({ name, shape: [...shape], dtype });
    return name;
  }

  /**
   * Adds a node applying `layer` to `inputs` (value names). Returns its output value names;
   * a single-output layer's output is named after the node.
   */
  node<D extends AnyLayer>(layer: D, attrs: AttrInputOf<D> | undefined, inputs: string | readonly string[], opts: NodeOptions & { outputs?: readonly string[] } = {}): string[] {
    const ins = typeof inputs === 'string' ? [inputs] : [...inputs];
    const name = opts.name ?? this.#autoName(layer);
    if (this.#nodes.some((n) => n.name === name)) throw new HubelError('graph', `duplicate node name '${name}'`);
    const where = `node '${name}' (${layerLabel(layer)})`;
    const required = layer.inputs.length - (layer.optionalInputs ?? 0);
    if (ins.length < required || ins.length > layer.inputs.length) {
      const range = required === layer.inputs.length ? `${required}` : `${required} to ${layer.inputs.length}`;
      throw new HubelError('graph', `${where}: expected ${range} input(s) (${layer.inputs.join(', ')}), found ${ins.length}`);
    }
    for (const i of ins) if (!this.#values.has(i)) throw new HubelError('graph', `${where}: input value '${i}' does not exist yet (values: ${[...this.#values].join(', ')})`);
    // The first output is named after the node, others `node.Output` (optional outputs are left
    // unbound); `opts.outputs` may bind fewer than the layer has, or leave one out with ''.
    const bound = layer.outputs.length - (layer.optionalOutputs ?? 0);
    const outs = opts.outputs ? [...opts.outputs] : layer.outputs.slice(0, Math.max(1, bound)).map((o, i) => (i === 0 ? name : `${name}.${o}`));
    if (outs.length === 0 || outs.length > layer.outputs.length || !outs[0]) {
      throw new HubelError('graph', `${where}: expected 1 to ${layer.outputs.length} output name(s) (${layer.outputs.join(', ')}), the first non-empty; found ${JSON.stringify(outs)}`);
    }
    for (const o of outs) if (o) this.#claim(o, where);
    const frozen = opts.frozen === true ? true : opts.frozen ? [...opts.frozen] : undefined;
    this.#nodes.push({ name, layer, attrs: layer.resolve(attrs as Record<string, unknown>, where), inputs: ins, outputs: outs, frozen, init: opts.init ? { ...opts.init } : undefined });
    return outs;
  }

  /** `node()` for single-output layers: returns the output value name. */
  add<D extends AnyLayer>(layer: D, attrs: AttrInputOf<D> | undefined, inputs: string | readonly string[], opts: NodeOptions = {}): string {
    return this.node(layer, attrs, inputs, opts)[0];
  }

  /** Marks existing values as graph outputs, in order; throws naming the values that exist. */
  output(...names: string[]): this {
    for (const n of names) {
      if (!this.#values.has(n)) throw new HubelError('graph', `graph output '${n}' does not exist (values: ${[...this.#values].join(', ')})`);
      this.#outputs.push(n);
    }
    return this;
  }

  /** Infers all shapes (batch symbolic), creates and initializes parameters on `backend`. */
  build(options: BuildOptions): Model {
    if (this.#outputs.length === 0) throw new HubelError('graph', 'the graph has no outputs: call output(name) before build()');
    const rng = new Rng(options.seed ?? 0);
    const initial = options.initialValues instanceof Map ? options.initialValues : new Map(Object.entries(options.initialValues ?? {}));
    // Infer at batch 1 and batch 2: dimensions that differ are the symbolic batch.
    const shapes1 = this.#infer(1);
    const shapes2 = this.#infer(2);
    const valueInfo = new Map<string, ValueInfo>();
    const dtypes = new Map<string, DType>();
    for (const p of this.#nodes) p.outputs.forEach((o, i) => o && p.layer.outputDTypes?.[i] && dtypes.set(o, p.layer.outputDTypes[i]));
    for (const [name, s1] of shapes1) {
      const s2 = shapes2.get(name)!;
      valueInfo.set(name, { name, shape: s1.map((d, i) => (d === s2[i] ? d : null)), dtype: dtypes.get(name) ?? 'float' });
    }
    for (const i of this.#inputs) valueInfo.set(i.name, i);
    const used = new Set<string>();
    const nodes: Node[] = this.#nodes.map((p) => {
      const declared: Record<string, ParamSpec | undefined> = p.layer.params ? p.layer.params(p.attrs as never, p.inputs.map((i) => shapes1.get(i)!)) : {};
      const specs: Record<string, ParamSpec> = {};
      for (const [k, v] of Object.entries(declared)) if (v) specs[k] = v;
      const frozen = p.frozen === true ? Object.keys(specs) : (p.frozen ?? []);
      for (const k of frozen) {
        if (!specs[k]) throw new HubelError('graph', `node '${p.name}' (${layerLabel(p.layer)}): cannot freeze '${k}', which is not one of its parameters (${Object.keys(specs).join(', ') || 'none'})`);
        specs[k] = { ...specs[k], trainable: false };
      }
      for (const [k, init] of Object.entries(p.init ?? {})) {
        if (!specs[k]) throw new HubelError('graph', `node '${p.name}' (${layerLabel(p.layer)}): no parameter '${k}' to initialize (its parameters: ${Object.keys(specs).join(', ') || 'none'})`);
        specs[k] = { ...specs[k], init };
      }
      const params: Record<string, Tensor> = {};
      for (const [pname, spec] of Object.entries(specs)) {
        const key = `${p.name}.${pname}`;
        const given = initial.get(key);
        let values: ArrayLike<number>;
        if (given) {
          const n = spec.shape.reduce((a, b) => a * b, 1);
          if (given.length !== n) throw new HubelError('shape', `initial value for ${key}: ${given.length} values given, shape ${fmtShape(spec.shape)} needs ${n}`);
          values = given;
          used.add(key);
        } else {
          values = initialize(spec.init, spec.shape, rng);
        }
        params[pname] = options.backend.tensor(values, spec.shape);
      }
      return { name: p.name, layer: p.layer, attrs: p.attrs, inputs: p.inputs, outputs: p.outputs, params, paramSpecs: specs, ...(frozen.length ? { frozen: [...new Set(frozen)] } : {}) };
    });
    for (const k of initial.keys()) if (!used.has(k)) throw new HubelError('graph', `initial value given for '${k}', which is not a parameter of this graph`);
    return new Model({
      backend: options.backend,
      registry: this.registry,
      inputs: this.#inputs,
      outputs: this.#outputs,
      nodes,
      valueInfo,
      metadata: options.metadata,
      rng: rng.fork(),
    });
  }

  #infer(batch: number): Map<string, Shape> {
    const shapes = new Map<string, Shape>();
    for (const i of this.#inputs) shapes.set(i.name, i.shape.map((d) => d ?? batch));
    for (const p of this.#nodes) {
      const where = `node '${p.name}' (${layerLabel(p.layer)})`;
      const ins = p.inputs.map((i) => shapes.get(i)!);
      let outs: Shape[];
      try {
        outs = p.layer.inferShapes(p.attrs as never, ins);
      } catch (e) {
        throw new HubelError('shape', `${where}: ${(e as Error).message} (input shapes: ${ins.map(fmtShape).join(', ')})`, { cause: e });
      }
      p.outputs.forEach((o, i) => {
        if (o) shapes.set(o, outs[i]);
      });
    }
    return shapes;
  }

  #autoName(layer: AnyLayer): string {
    const base = layer.type.toLowerCase();
    const n = (this.#counters.get(base) ?? 0) + 1;
    this.#counters.set(base, n);
    const taken = new Set(this.#nodes.map((x) => x.name));
    return uniqueName(`${base}${n}`, taken);
  }

  #claim(name: string, where: string): void {
    if (!name) throw new HubelError('graph', `${where}: value names must be non-empty`);
    if (this.#values.has(name)) throw new HubelError('graph', `${where}: value '${name}' already exists`);
    this.#values.add(name);
  }
}

/** The common chain: each layer reads the previous layer's output. */
export class Sequential {
  readonly #g: GraphBuilder;
  #last: string;

  constructor(input: readonly (number | null)[], options: { registry?: Registry; inputName?: string } = {}) {
    this.#g = new GraphBuilder(options);
    this.#last = this.#g.input(options.inputName ?? 'input', input);
  }

  /**
   * Appends a node applying `layer` to the previous output; `name` (or `opts.name`) defaults to
   * the lower-cased layer type and a counter (`conv1`); `opts.frozen` freezes its parameters,
   * `opts.init` replaces their initializers.
   */
  add<D extends AnyLayer>(layer: D, attrs?: AttrInputOf<D>, opts?: string | NodeOptions): this {
    this.#last = this.#g.add(layer, attrs, this.#last, typeof opts === 'string' ? { name: opts } : opts);
    return this;
  }

  /** Makes the last node's output the graph output and builds the model (see {@link GraphBuilder.build}). */
  build(options: BuildOptions): Model {
    this.#g.output(this.#last);
    return this.#g.build(options);
  }
}
