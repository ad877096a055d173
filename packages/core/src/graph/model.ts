import type { Backend } from '../backend.js';
import { HubelError, fmtShape } from '../errors.js';
import { HookMap, SyncHook } from '../hooks.js';
import type { BackwardResult, Mode } from '../kernel.js';
import { layerLabel, type AnyLayer, type ParamSpec } from '../layer.js';
import type { Registry } from '../registry.js';
import { Rng } from '../rng.js';
import { sameShape, type DType, type Shape, type Tensor } from '../tensor.js';
import { ForwardRun, type ForwardOptions } from './executor.js';

/** A graph input or output: name, shape with `null` for the symbolic batch dimension, dtype. */
export interface ValueInfo {
  /** The value's name in the graph. */
  readonly name: string;
  /** Dimensions; `null` marks the symbolic batch dimension. */
  readonly shape: readonly (number | null)[];
  /** Element type; `'float'` means the backend's float type. */
  readonly dtype: DType | 'float';
}

/** One layer application (one ONNX node). `params` are owned by the model. */
export interface Node {
  /** Unique node name; parameter keys are `name.param`. */
  readonly name: string;
  /** The layer definition the node applies. */
  readonly layer: AnyLayer;
  /** The node's attributes, resolved against the layer's schema. */
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Value names read, in the layer's input order (`''` for an omitted optional input). */
  readonly inputs: readonly string[];
  /** Value names written, in the layer's output order (`''` for an unbound optional output). */
  readonly outputs: readonly string[];
  /** Parameter tensors by name, owned by the model; training mode may swap in new running statistics. */
  readonly params: Record<string, Tensor>;
  /** The layer's parameter specs for this node's input shapes (shape, initializer, trainable). */
  readonly paramSpecs: Readonly<Record<string, ParamSpec>>;
  /**
   * Parameters the model's author froze (their specs say `trainable: false`), as opposed to
   * state the layer itself declares untrainable (batch norm's running statistics). Absent: none.
   */
  readonly frozen?: readonly string[];
}

/** A parameter as the optimizer and checkpoints see it. */
export interface ParamRef {
  /** `node.param`, e.g. `fc1.W`: stable across export, import and checkpoints. */
  readonly key: string;
  /** The node owning the parameter. */
  readonly node: Node;
  /** The parameter's name within its layer, e.g. `W`. */
  readonly name: string;
  /** The parameter tensor (owned by the model). */
  readonly tensor: Tensor;
  /** False for state the optimizer leaves alone (running statistics). */
  readonly trainable: boolean;
}

/** Payload of the per-node `model.hooks.forward` hook, fired after the node's forward. */
export interface NodeForwardEvent {
  /** The node that ran. */
  readonly node: Node;
  /** The run's mode. */
  readonly mode: Mode;
  /** The node's inputs (owned by the run: read them during the tap, do not keep or dispose them). */
  readonly inputs: readonly Tensor[];
  /** The node's outputs (owned by the run, as `inputs`). */
  readonly outputs: readonly Tensor[];
}

/** Payload of the per-node `model.hooks.backward` hook, fired after the node's backward. */
export interface NodeBackwardEvent {
  /** The node whose backward ran. */
  readonly node: Node;
  /** ∂C/∂y for each output (owned by the run). */
  readonly dOutputs: readonly Tensor[];
  /** What the kernel returned: ∂C/∂x per input and ∂C/∂w per parameter (owned by the run). */
  readonly result: BackwardResult;
}

/**
 * What the {@link Model} constructor takes; models are normally made by {@link GraphBuilder.build} or `importOnnx`.
 * @inline
 */
export interface ModelInit {
  /** Backend holding the parameters. */
  readonly backend: Backend;
  /** Registry to look kernels up in; every node needs a kernel on `backend`. */
  readonly registry: Registry;
  /** Graph inputs. */
  readonly inputs: readonly ValueInfo[];
  /** Names of the graph outputs. */
  readonly outputs: readonly string[];
  /** Nodes in any order; the model sorts them topologically. */
  readonly nodes: readonly Node[];
  /** Inferred shapes of the graph's values. */
  readonly valueInfo?: ReadonlyMap<string, ValueInfo>;
  /** Free-form key/value pairs. */
  readonly metadata?: Record<string, string>;
  /** Default stream for stochastic layers; default `new Rng(0)`. */
  readonly rng?: Rng;
  /** Shared by views made with `withLoss`, so taps on the model see training runs too. */
  readonly hooks?: ModelHooks;
}

/** Per-node executor hooks: `hooks.forward.for('conv1').tap(name, fn)` watches one node. */
export interface ModelHooks {
  /** Fired after a node's forward, keyed by node name. */
  readonly forward: HookMap<SyncHook<[NodeForwardEvent]>>;
  /** Fired after a node's backward, keyed by node name. */
  readonly backward: HookMap<SyncHook<[NodeBackwardEvent]>>;
}

function createModelHooks(): ModelHooks {
  return Object.freeze({
    forward: new HookMap(() => new SyncHook<[NodeForwardEvent]>(['event'])),
    backward: new HookMap(() => new SyncHook<[NodeBackwardEvent]>(['event'])),
  });
}

/**
 * A DAG of layer nodes over named values, with its parameters on one backend. `forward` runs
 * the nodes in topological order; the returned run's `backward` walks them in reverse.
 */
export class Model {
  /** The backend holding the parameters; feeds must live on it. */
  readonly backend: Backend;
  /** The registry the model's kernels come from. */
  readonly registry: Registry;
  /** Graph inputs, in order. */
  readonly inputs: readonly ValueInfo[];
  /** Names of the graph outputs, in order. */
  readonly outputs: readonly string[];
  /** Topologically sorted. */
  readonly nodes: readonly Node[];
  /** Shapes of every value (batch dimension `null`), from build-time inference. */
  readonly valueInfo: ReadonlyMap<string, ValueInfo>;
  /** Free-form key/value pairs, kept through ONNX export and import. */
  readonly metadata: Record<string, string>;
  /** Default stream for stochastic layers when `forward` is given none. */
  readonly rng: Rng;
  /**
   * Executor hooks, per node name (a HookMap: untapped nodes cost nothing). `forward` fires
   * after a node's forward, `backward` after its backward.
   */
  readonly hooks: ModelHooks;
  #disposed = false;
  readonly #ownsParams: boolean;

  constructor(init: ModelInit, ownsParams = true) {
    this.backend = init.backend;
    this.registry = init.registry;
    this.inputs = init.inputs;
    this.outputs = init.outputs;
    this.nodes = topoSort(init.inputs, init.nodes, init.outputs);
    this.valueInfo = init.valueInfo ?? new Map();
    this.metadata = { ...(init.metadata ?? {}) };
    this.rng = init.rng ?? new Rng(0);
    this.hooks = init.hooks ?? createModelHooks();
    this.#ownsParams = ownsParams;
    for (const node of this.nodes) this.registry.kernel(node.layer, this.backend.name, `node '${node.name}'`);
  }

  /** The node named `name`; throws listing the node names. */
  node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new HubelError('graph', `no node named '${name}' (nodes: ${this.nodes.map((x) => x.name).join(', ')})`);
    return n;
  }

  /** All parameters in node order, then declaration order. */
  params(): ParamRef[] {
    const out: ParamRef[] = [];
    for (const node of this.nodes) {
      for (const [name, tensor] of Object.entries(node.params)) {
        out.push({ key: `${node.name}.${name}`, node, name, tensor, trainable: node.paramSpecs[name]?.trainable !== false });
      }
    }
    return out;
  }

  /**
   * Keys (`node.param`) of the frozen parameters: those a builder froze with the `frozen`
   * node option or that `importOnnx` froze from the file's `hubel.frozen` metadata. They are
   * not trainable; running statistics, which layers declare untrainable, are not listed.
   */
  frozenParams(): string[] {
    return this.nodes.flatMap((n) => (n.frozen ?? []).map((p) => `${n.name}.${p}`));
  }

  /** Number of trainable scalars. */
  paramCount(): number {
    return this.params().reduce((s, p) => s + (p.trainable ? p.tensor.size : 0), 0);
  }

  /**
   * Runs the graph. `feeds` maps graph input names to tensors on this model's backend (the
   * caller keeps owning them). The returned run owns everything it computed: read what you
   * need, then `run.dispose()` (or call `run.backward()` first in training).
   */
  forward(feeds: Readonly<Record<string, Tensor>>, options: ForwardOptions = {}): ForwardRun {
    if (this.#disposed) throw new HubelError('disposed', 'this model was disposed');
    return new ForwardRun(this, feeds, options);
  }

  /** Convenience for single-input, single-output inference: eval mode, returns a fresh tensor the caller owns. */
  predict(x: Tensor): Tensor {
    if (this.inputs.length !== 1) throw new HubelError('graph', `predict() needs a model with one input; this one has ${this.inputs.length}`);
    const run = this.forward({ [this.inputs[0].name]: x }, { mode: 'eval' });
    try {
      return run.take(this.outputs[0]);
    } finally {
      run.dispose();
    }
  }

  /**
   * A model computing `loss = lossLayer(output, target)` over this one, sharing its nodes and
   * parameters (disposing it leaves this model intact). Its outputs are [loss, ...this.outputs].
   */
  withLoss(lossLayer: AnyLayer, attrs?: Record<string, unknown>, opts: { output?: string; targetDType?: DType | 'float'; targetShape?: (number | null)[] } = {}): Model {
    if (lossLayer.role !== 'loss') throw new HubelError('graph', `${layerLabel(lossLayer)} is not a loss layer`);
    const output = opts.output ?? this.outputs[0];
    const name = uniqueName('loss', new Set(this.nodes.map((n) => n.name)));
    const targetDType = opts.targetDType ?? (lossLayer.inputDTypes?.[1] as DType | 'float' | undefined) ?? 'float';
    // Default target: class labels [N] for int32 targets, the output's own shape for float ones.
    const defaultShape = targetDType === 'int32' ? [null] : [...(this.valueInfo.get(output)?.shape ?? [null])];
    const target: ValueInfo = { name: 'target', shape: opts.targetShape ?? defaultShape, dtype: targetDType };
    const node: Node = {
      name,
      layer: lossLayer,
      attrs: lossLayer.resolve(attrs, `node '${name}' (${layerLabel(lossLayer)})`),
      inputs: [output, 'target'],
      outputs: ['loss'],
      params: {},
      paramSpecs: {},
    };
    return new Model(
      {
        backend: this.backend,
        registry: this.registry,
        inputs: [...this.inputs, target],
        outputs: ['loss', ...this.outputs],
        nodes: [...this.nodes, node],
        valueInfo: this.valueInfo,
        metadata: this.metadata,
        rng: this.rng,
        hooks: this.hooks,
      },
      false,
    );
  }

  /** Frees the parameters (models made by `withLoss` free nothing). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsParams) for (const p of this.params()) p.tensor.dispose();
  }

  /** Checks a node's parameters against what its layer expects for these input shapes. */
  checkParams(node: Node, inputShapes: readonly Shape[]): void {
    if (!node.layer.params) return;
    const specs = node.layer.params(node.attrs as never, inputShapes);
    for (const [pname, spec] of Object.entries(specs as Record<string, ParamSpec | undefined>)) {
      if (!spec) continue;
      const t = node.params[pname];
      if (!t) throw new HubelError('graph', `node '${node.name}' (${layerLabel(node.layer)}): parameter '${pname}' is missing`);
      if (!sameShape(t.shape, spec.shape)) {
        throw new HubelError(
          'shape',
          `node '${node.name}' (${layerLabel(node.layer)}): parameter ${pname} has shape ${fmtShape(t.shape)} but inputs ${inputShapes.map(fmtShape).join(', ')} need ${fmtShape(spec.shape)}`,
        );
      }
    }
  }
}

export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 1; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Kahn's algorithm; errors on duplicate value producers, unknown inputs and cycles. */
function topoSort(inputs: readonly ValueInfo[], nodes: readonly Node[], outputs: readonly string[]): Node[] {
  const producer = new Map<string, Node>();
  const names = new Set<string>();
  const graphInputs = new Set(inputs.map((i) => i.name));
  for (const n of nodes) {
    if (names.has(n.name)) throw new HubelError('graph', `duplicate node name '${n.name}'`);
    names.add(n.name);
    for (const o of n.outputs) {
      if (!o) continue;
      if (producer.has(o) || graphInputs.has(o)) throw new HubelError('graph', `value '${o}' is produced twice (by node '${n.name}' and ${producer.get(o) ? `node '${producer.get(o)!.name}'` : 'a graph input'})`);
      producer.set(o, n);
    }
  }
  const indeg = new Map<Node, number>();
  const users = new Map<Node, Node[]>();
  for (const n of nodes) {
    let d = 0;
    for (const i of n.inputs) {
      if (i === '') continue;
      const p = producer.get(i);
      if (p) {
        d++;
        (users.get(p) ?? users.set(p, []).get(p)!).push(n);
      } else if (!graphInputs.has(i)) {
        throw new HubelError('graph', `node '${n.name}' (${layerLabel(n.layer)}) reads value '${i}', which no node produces and is not a graph input`);
      }
    }
    indeg.set(n, d);
  }
  const ready = nodes.filter((n) => indeg.get(n) === 0);
  const order: Node[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const u of users.get(n) ?? []) {
      const d = indeg.get(u)! - 1;
      indeg.set(u, d);
      if (d === 0) ready.push(u);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((n) => !order.includes(n)).map((n) => n.name);
    throw new HubelError('graph', `the graph has a cycle through nodes: ${stuck.join(', ')}`);
  }
  for (const o of outputs) {
    if (!producer.has(o) && !graphInputs.has(o)) throw new HubelError('graph', `graph output '${o}' is not produced by any node`);
  }
  return order;
}
