import { HubelError, fmtShape } from '../errors.js';
import type { BackwardResult, ForwardResult, KernelDefinition, Mode } from '../kernel.js';
import { layerLabel } from '../layer.js';
import type { Rng } from '../rng.js';
import { Tensor, disposeAll, sameShape, type Shape } from '../tensor.js';
import type { Model, Node } from './model.js';

/** Options of {@link Model.forward}. */
export interface ForwardOptions {
  /** 'eval' (default) or 'train': dropout draws masks and batch norm uses batch statistics in 'train'. */
  readonly mode?: Mode;
  /** Stream for stochastic layers; defaults to the model's own. */
  readonly rng?: Rng;
  /** Keep what backward needs (default: true in 'train' mode, false in 'eval'). */
  readonly forBackward?: boolean;
}

/** Options of {@link ForwardRun.backward}. */
export interface BackwardOptions {
  /** ∂C/∂output for outputs to differentiate (the caller keeps owning them). Default: ones for a loss output named 'loss'. */
  readonly seeds?: Readonly<Record<string, Tensor>>;
  /** Graph inputs whose gradients to return (default none). */
  readonly inputs?: readonly string[];
}

/** Gradients from one backward pass, owned by the caller: `dispose()` when done. */
export class Gradients {
  constructor(
    /** By parameter key (`node.param`), trainable parameters only. */
    readonly params: Map<string, Tensor>,
    /** By graph input name. */
    readonly inputs: Map<string, Tensor>,
  ) {}

  /** Disposes every gradient tensor it holds. */
  dispose(): void {
    for (const t of this.params.values()) t.dispose();
    for (const t of this.inputs.values()) t.dispose();
  }
}

interface NodeRecord {
  readonly node: Node;
  readonly kernel: KernelDefinition<any, string>;
  readonly inputs: readonly Tensor[];
  readonly result: ForwardResult;
}

/**
 * One execution of a model's graph. It owns every tensor it computed (not the feeds); a
 * training step is forward → read the loss → backward → dispose.
 */
export class ForwardRun {
  /** The mode this run was made in (`'eval'` unless the options said `'train'`). */
  readonly mode: Mode;
  readonly #model: Model;
  readonly #values = new Map<string, Tensor>();
  readonly #feeds: ReadonlySet<Tensor>;
  readonly #records: NodeRecord[] = [];
  readonly #taken = new Set<Tensor>();
  readonly #unbound: Tensor[] = [];
  #disposed = false;
  #backwardDone = false;

  constructor(model: Model, feeds: Readonly<Record<string, Tensor>>, options: ForwardOptions) {
    this.#model = model;
    this.mode = options.mode ?? 'eval';
    const forBackward = options.forBackward ?? this.mode === 'train';
    const rng = options.rng ?? model.rng;
    const backend = model.backend;
    for (const info of model.inputs) {
      const t = feeds[info.name];
      if (!t) {
        const known = model.inputs.map((i) => `'${i.name}'`).join(', ');
        throw new HubelError('graph', `missing feed for graph input '${info.name}' (inputs: ${known}; given: ${Object.keys(feeds).map((k) => `'${k}'`).join(', ') || 'none'})`);
      }
      if (t.disposed) throw new HubelError('disposed', `feed '${info.name}' was used after dispose()`);
      if (t.backend !== backend) throw new HubelError('backend', `feed '${info.name}' lives on backend '${t.backend.name}' but the model runs on '${backend.name}'`);
      checkInputShape(info.name, info.shape, t.shape);
      this.#values.set(info.name, t);
    }
    for (const name of Object.keys(feeds)) {
      if (!model.inputs.some((i) => i.name === name)) {
        throw new HubelError('graph', `feed '${name}' is not a graph input (inputs: ${model.inputs.map((i) => `'${i.name}'`).join(', ')})`);
      }
    }
    this.#feeds = new Set(this.#values.values());
    try {
      for (const node of model.nodes) {
        const where = `node '${node.name}' (${layerLabel(node.layer)})`;
        const inputs = node.inputs.map((v) => this.#values.get(v)!);
        const inputShapes = inputs.map((t) => t.shape);
        checkInputs(node, inputs, where);
        let expected: Shape[];
        try {
          expected = node.layer.inferShapes(node.attrs as never, inputShapes);
        } catch (e) {
          throw new HubelError('shape', `${where}: ${(e as Error).message} (input shapes: ${inputShapes.map(fmtShape).join(', ')})`, { cause: e });
        }
        model.checkParams(node, inputShapes);
        const kernel = model.registry.kernel(node.layer, backend.name, where);
        const result = kernel.impl.forward({
          backend: backend as never,
          attrs: node.attrs as never,
          inputs,
          params: node.params as never,
          mode: this.mode,
          rng,
          node: node.name,
          outputsWanted: node.layer.outputs.map((_, i) => !!node.outputs[i]),
        });
        if (result.outputs.length !== node.layer.outputs.length) {
          throw new HubelError('graph', `${where}: kernel returned ${result.outputs.length} outputs, the layer declares ${node.layer.outputs.length}`);
        }
        result.outputs.forEach((t, i) => {
          if (!sameShape(t.shape, expected[i])) {
            throw new HubelError('shape', `${where}: kernel output ${i} has shape ${fmtShape(t.shape)}, shape inference says ${fmtShape(expected[i])}`);
          }
          // Outputs the node does not bind (ONNX's optional outputs) stay with the run, unnamed.
          if (node.outputs[i]) this.#values.set(node.outputs[i], t);
          else this.#unbound.push(t);
        });
        if (result.updates && this.mode === 'train') {
          for (const [pname, t] of Object.entries(result.updates)) {
            if (!t) continue;
            node.params[pname]?.dispose();
            node.params[pname] = t as Tensor;
          }
        }
        const rec: NodeRecord = { node, kernel, inputs, result: forBackward ? result : { outputs: result.outputs } };
        if (!forBackward) this.#disposeSaved(rec, result);
        this.#records.push(rec);
        const hook = model.hooks.forward.get(node.name);
        if (hook) hook.call({ node, mode: this.mode, inputs, outputs: result.outputs });
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** A value computed by this run (or a feed); still owned by the run. */
  get(name: string): Tensor {
    this.#checkAlive();
    const t = this.#values.get(name);
    if (!t) throw new HubelError('graph', `no value named '${name}' in this run (outputs: ${this.#model.outputs.join(', ')})`);
    return t;
  }

  /** Like `get`, but transfers ownership: `dispose()` of the run leaves the tensor alive. */
  take(name: string): Tensor {
    const t = this.get(name);
    this.#taken.add(t);
    return t;
  }

  /**
   * Backpropagates from the seeded outputs: each node, in reverse order, receives ∂C/∂y and
   * returns ∂C/∂x and ∂C/∂w; gradients reaching a value from several consumers are summed.
   */
  backward(options: BackwardOptions = {}): Gradients {
    this.#checkAlive();
    if (this.#backwardDone) throw new HubelError('graph', 'backward() was already called on this run');
    this.#backwardDone = true;
    const model = this.#model;
    const backend = model.backend;
    const grads = new Map<string, Tensor>();
    const addGrad = (name: string, g: Tensor) => {
      const prev = grads.get(name);
      if (!prev) {
        grads.set(name, g);
        return;
      }
      grads.set(name, backend.ops.add(prev, g));
      prev.dispose();
      g.dispose();
    };
    let seeds = options.seeds;
    if (!seeds) {
      if (!this.#values.has('loss')) throw new HubelError('graph', `backward() needs seeds: the model has no output named 'loss' (outputs: ${model.outputs.join(', ')})`);
      seeds = { loss: backend.ops.fill(this.#values.get('loss')!.shape, 1) };
      for (const [k, t] of Object.entries(seeds)) grads.set(k, t);
    } else {
      for (const [k, t] of Object.entries(seeds)) {
        const v = this.get(k);
        if (!sameShape(v.shape, t.shape)) throw new HubelError('shape', `seed for '${k}' has shape ${fmtShape(t.shape)}, the value has ${fmtShape(v.shape)}`);
        grads.set(k, backend.ops.copy(t));
      }
    }
    const wantInputs = new Set(options.inputs ?? []);
    // Which values lead to a parameter or a requested input: only those need gradients.
    const needs = new Set<string>(wantInputs);
    for (const rec of this.#records) {
      const hasTrainable = Object.keys(rec.node.params).some((p) => rec.node.paramSpecs[p]?.trainable !== false);
      if (hasTrainable || rec.node.inputs.some((i) => needs.has(i))) for (const o of rec.node.outputs) needs.add(o);
    }
    const paramGrads = new Map<string, Tensor>();
    try {
      for (let r = this.#records.length - 1; r >= 0; r--) {
        const rec = this.#records[r];
        const { node } = rec;
        if (!node.outputs.some((o) => grads.has(o))) continue;
        const where = `node '${node.name}' (${layerLabel(node.layer)})`;
        const trainable = Object.keys(node.params).filter((p) => node.paramSpecs[p]?.trainable !== false);
        const wants = { inputs: node.inputs.map((name, i) => needs.has(name) && isFloat(rec.inputs[i])), params: trainable.length > 0 };
        if (!wants.params && !wants.inputs.some(Boolean)) {
          for (const o of node.outputs) grads.get(o)?.dispose(), grads.delete(o);
          continue;
        }
        if (!rec.kernel.impl.backward) throw new HubelError('graph', `${where}: its kernel on '${backend.name}' has no backward pass`);
        const zeros: Tensor[] = [];
        const dOutputs = rec.result.outputs.map((_, i) => {
          const o = node.outputs[i];
          const g = o ? grads.get(o) : undefined;
          if (g) return g;
          const z = backend.ops.fill(rec.result.outputs[i].shape, 0);
          zeros.push(z);
          return z;
        });
        const result: BackwardResult = rec.kernel.impl.backward({
          backend: backend as never,
          attrs: node.attrs as never,
          inputs: rec.inputs,
          params: node.params as never,
          mode: this.mode,
          rng: this.#model.rng,
          node: node.name,
          outputs: rec.result.outputs,
          saved: rec.result.saved ?? {},
          dOutputs,
          wants,
        });
        const hook = model.hooks.backward.get(node.name);
        if (hook) hook.call({ node, dOutputs, result });
        for (const z of zeros) z.dispose();
        for (const o of node.outputs) {
          grads.get(o)?.dispose();
          grads.delete(o);
        }
        node.inputs.forEach((name, i) => {
          const g = result.dInputs[i];
          if (!g) return;
          if (!wants.inputs[i]) {
            g.dispose();
            return;
          }
          if (!sameShape(g.shape, rec.inputs[i].shape)) throw new HubelError('shape', `${where}: gradient for input ${i} has shape ${fmtShape(g.shape)}, the input has ${fmtShape(rec.inputs[i].shape)}`);
          addGrad(name, g);
        });
        for (const p of trainable) {
          const g = result.dParams?.[p];
          if (!g) throw new HubelError('graph', `${where}: backward returned no gradient for parameter '${p}'`);
          if (!sameShape(g.shape, node.params[p].shape)) throw new HubelError('shape', `${where}: gradient for ${p} has shape ${fmtShape(g.shape)}, the parameter has ${fmtShape(node.params[p].shape)}`);
          paramGrads.set(`${node.name}.${p}`, g);
        }
        this.#disposeSaved(rec, rec.result);
      }
    } catch (e) {
      for (const g of grads.values()) g.dispose();
      for (const g of paramGrads.values()) g.dispose();
      throw e;
    }
    const inputGrads = new Map<string, Tensor>();
    for (const [k, g] of grads) {
      if (wantInputs.has(k)) inputGrads.set(k, g);
      else g.dispose();
    }
    for (const name of wantInputs) {
      if (!inputGrads.has(name)) inputGrads.set(name, backend.ops.fill(this.get(name).shape, 0));
    }
    return new Gradients(paramGrads, inputGrads);
  }

  /** Frees everything this run computed, except tensors handed out with `take`, and the feeds. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const rec of this.#records) this.#disposeSaved(rec, rec.result);
    for (const t of this.#values.values()) if (!this.#feeds.has(t) && !this.#taken.has(t)) t.dispose();
    for (const t of this.#unbound) t.dispose();
  }

  #disposeSaved(rec: NodeRecord, result: ForwardResult): void {
    if (!result.saved) return;
    const keep = new Set<Tensor>([...rec.inputs, ...result.outputs, ...Object.values(rec.node.params)]);
    disposeAll(result.saved, keep);
    (rec as { result: ForwardResult }).result = { outputs: result.outputs };
  }

  #checkAlive(): void {
    if (this.#disposed) throw new HubelError('disposed', 'this forward run was disposed');
  }
}

function isFloat(t: Tensor | undefined): boolean {
  return !!t && t.dtype !== 'int32';
}

function checkInputShape(name: string, declared: readonly (number | null)[], actual: Shape): void {
  const ok = declared.length === actual.length && declared.every((d, i) => d === null || d === actual[i]);
  if (!ok) throw new HubelError('shape', `graph input '${name}': expected shape ${fmtShape(declared)}, found ${fmtShape(actual)}`);
}

function checkInputs(node: Node, inputs: readonly Tensor[], where: string): void {
  const dtypes = node.layer.inputDTypes ?? {};
  inputs.forEach((t, i) => {
    if (t.disposed) throw new HubelError('disposed', `${where}: input ${i} ('${node.inputs[i]}') was used after dispose()`);
    const want = dtypes[i] ?? 'float';
    const ok = want === 'float' ? t.dtype !== 'int32' : t.dtype === want;
    if (!ok) throw new HubelError('dtype', `${where}: input ${i} ('${node.inputs[i]}') must be ${want}, found ${t.dtype}`);
  });
}
