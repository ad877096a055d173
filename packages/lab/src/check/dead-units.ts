// Dead ReLU units, counted directly: one eval-mode pass over the data with a tap on each ReLU
// node's forward hook, OR-ing "this value was > 0" per unit. Units are axis 1 of the output, as
// in the unit diagnostics: a conv layer's channels (dead: 0 at every position of every image),
// a dense layer's features. The taps go on a view of the model with hooks of its own, so
// nothing stays tapped on the caller's model.
import { HubelError, Model, type Dataset, type Node, type Tensor } from '@hubel/core';

/** Dead units of one ReLU node over the evaluated examples. */
export interface DeadUnitCount {
  /** The ReLU node's name. */
  readonly node: string;
  /** Units: channels of a conv output [N, C, H, W], features of a dense output [N, F]. */
  readonly units: number;
  /** Units whose output was 0 for every example evaluated (never active). */
  readonly dead: number;
  /** `dead / units`. */
  readonly fraction: number;
}

/** True for the nodes whose units can die: plain ReLU (ONNX `Relu`). */
export function isRelu(node: Node): boolean {
  return node.layer.domain === '' && node.layer.type === 'Relu';
}

/**
 * Counts, for every ReLU node of `model`, the units never active (output 0) over all of
 * `data`, in eval mode. Returns one entry per ReLU node in topological order (none for a model
 * without ReLUs). The model's parameters are only read. Throws a HubelError for a model with
 * several graph inputs or an empty data set.
 */
export async function countDeadUnits(model: Model, data: Dataset, batchSize = 100): Promise<DeadUnitCount[]> {
  if (model.inputs.length !== 1) throw new HubelError('graph', `dead units: the model must have one graph input (the examples), found ${model.inputs.length}`);
  if (data.length === 0) throw new HubelError('attribute', 'dead units: the data set is empty');
  const relus = model.nodes.filter(isRelu);
  if (!relus.length) return [];
  const view = new Model(
    { backend: model.backend, registry: model.registry, inputs: model.inputs, outputs: model.outputs, nodes: model.nodes, valueInfo: model.valueInfo, metadata: model.metadata },
    false,
  );
  const backend = model.backend;
  const active = new Map<string, Uint8Array>();
  const pending: { node: string; t: Tensor }[] = [];
  const record = (node: string, values: ArrayLike<number>, shape: readonly number[]) => {
    const [n, c = 1] = shape;
    const positions = values.length / (n * c);
    let seen = active.get(node);
    if (!seen) active.set(node, (seen = new Uint8Array(c)));
    for (let i = 0; i < values.length; i++) if (values[i] > 0) seen[Math.floor(i / positions) % c] = 1;
  };
  for (const node of relus) {
    view.hooks.forward.for(node.name).tap('DeadUnits', ({ outputs: [y] }) => {
      // The run owns y and may free it before an async read completes: read it now where the
      // backend can, else keep a copy to read after the forward pass.
      if (backend.readSync) record(node.name, backend.readSync(y), y.shape);
      else pending.push({ node: node.name, t: backend.ops.copy(y) });
    });
  }
  for (let start = 0; start < data.length; start += batchSize) {
    const idx = Int32Array.from({ length: Math.min(batchSize, data.length - start) }, (_, i) => start + i);
    const { x, y } = data.batch(idx, backend);
    y.dispose();
    try {
      view.forward({ [model.inputs[0].name]: x }, { mode: 'eval' }).dispose();
      for (const p of pending) record(p.node, await p.t.read(), p.t.shape);
    } finally {
      x.dispose();
      for (const p of pending.splice(0)) p.t.dispose();
    }
  }
  return relus.map((node) => {
    const seen = active.get(node.name) ?? new Uint8Array(0);
    const dead = seen.reduce((s, v) => s + (v ? 0 : 1), 0);
    return { node: node.name, units: seen.length, dead, fraction: seen.length ? dead / seen.length : 0 };
  });
}
