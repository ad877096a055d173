/**
 * Unit diagnostics of a model: its images go through the graph in eval mode, batch by batch,
 * and a per-node forward hook (`model.hooks.forward`) hands each node's outputs to a
 * {@link UnitAccumulator}. The hook payload's tensors belong to the run, so they are read during
 * the tap: scanned in place on backends with synchronous reads (CPU), copied otherwise
 * (the copy is ours to read asynchronously and dispose).
 */
import { HubelError, Tensor, layerLabel, type Dataset, type ForwardRun, type Model, type ModelHooks, type NodeForwardEvent } from '@hubel/core';
import { UnitAccumulator, type LayerDiagnostics, type UnitAccumulatorOptions } from './unit-accumulator.js';

/** Options of {@link diagnoseModel}. */
export interface DiagnoseOptions extends Omit<UnitAccumulatorOptions, 'expectedValues'> {
  /** Examples per forward pass (a Dataset only; a Tensor is one batch); default 100. */
  readonly batchSize?: number;
  /** Use only the first `limit` examples of a Dataset; default all. */
  readonly limit?: number;
  /**
   * Nodes whose outputs to diagnose, by node name; default every node. Outputs that are not
   * float or have no unit axis (rank < 2, e.g. a loss) are skipped.
   */
  readonly nodes?: readonly string[];
}

/** What {@link diagnoseModel} returns. */
export interface ModelDiagnostics {
  /** Images evaluated. */
  readonly images: number;
  /** One entry per diagnosed node output, in the graph's topological order. */
  readonly layers: readonly LayerDiagnostics[];
  /** Wall time of the diagnosis. */
  readonly seconds: number;
}

/** One forward pass's listener; set while {@link diagnoseModel} runs a forward, unset otherwise. */
type Listener = (event: NodeForwardEvent) => void;

/**
 * tapable has no `untap`, so each model's hooks (shared by its `withLoss` views) are tapped once
 * per node, under this function's name, and forward to whichever listener is active. The
 * executor runs a whole forward synchronously, so one listener at a time suffices.
 */
const slots = new WeakMap<ModelHooks, { listener?: Listener; tapped: Set<string> }>();

function slotFor(model: Model, nodes: readonly string[]): { listener?: Listener } {
  let slot = slots.get(model.hooks);
  if (!slot) slots.set(model.hooks, (slot = { tapped: new Set() }));
  for (const name of nodes) {
    if (slot.tapped.has(name)) continue;
    slot.tapped.add(name);
    const s = slot;
    model.hooks.forward.for(name).tap('diagnoseModel', (event) => s.listener?.(event));
  }
  return slot;
}

/**
 * Per-layer unit statistics of `model` on `images`, in eval mode: sparsity, dead units, mean
 * |pairwise correlation| between units, activation mean/std, a histogram (see
 * {@link LayerDiagnostics}). Units are axis 1 of each node output: channels of a conv output
 * [N, C, H, W], features of a dense output [N, F]. Correlations are Pearson's r between units
 * over every (image, position) observation, so two channels that light up at the same places
 * correlate; units that never vary (dead ones) are left out of the mean.
 *
 * `images` is a Dataset (its inputs are used, targets ignored; the first `limit` examples in
 * batches of `batchSize`) or a Tensor [N, ...input] on the model's backend, run as one batch (the
 * caller keeps owning it). The model needs one input. Throws for an empty input, unknown node
 * names, or nodes with no output to diagnose. Everything the runs compute is freed.
 */
export async function diagnoseModel(model: Model, images: Dataset | Tensor, options: DiagnoseOptions = {}): Promise<ModelDiagnostics> {
  const t0 = performance.now();
  if (model.inputs.length !== 1) throw new HubelError('graph', `diagnoseModel needs a model with one input; this one has ${model.inputs.length} (${model.inputs.map((i) => i.name).join(', ')})`);
  const batchSize = options.batchSize ?? 100;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new HubelError('attribute', `diagnoseModel: batchSize must be a positive integer, found ${batchSize}`);
  const isTensor = images instanceof Tensor;
  const available = isTensor ? images.shape[0] ?? 0 : images.length;
  const limit = options.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new HubelError('attribute', `diagnoseModel: limit must be a positive integer, found ${limit}`);
  const count = Math.min(limit ?? available, available);
  if (count === 0) throw new HubelError('attribute', 'diagnoseModel: no images to evaluate');
  if (isTensor && limit !== undefined && limit < available) throw new HubelError('attribute', `diagnoseModel: limit ${limit} applies to a Dataset; pass a Tensor of the images wanted`);
  const nodeNames = options.nodes ?? model.nodes.map((n) => n.name);
  for (const name of nodeNames) model.node(name);
  const wanted = new Set(nodeNames);

  const accs = new Map<string, { acc: UnitAccumulator; node: string; op: string }>();
  const backend = model.backend;
  const peek = backend.peekSync?.bind(backend);
  const pending: { acc: UnitAccumulator; copy: Tensor; n: number }[] = [];
  const listener: Listener = ({ node, outputs }) => {
    if (!wanted.has(node.name)) return;
    outputs.forEach((t, i) => {
      const value = node.outputs[i];
      if (!value || t.dtype === 'int32' || t.shape.length < 2 || t.size === 0) return;
      const n = t.shape[0];
      let entry = accs.get(value);
      if (!entry) {
        const per = t.size / n;
        const acc = new UnitAccumulator(t.shape.slice(1), { ...options, expectedValues: per * count });
        accs.set(value, (entry = { acc, node: node.name, op: layerLabel(node.layer) }));
      }
      if (peek) entry.acc.add(peek(t), n);
      else pending.push({ acc: entry.acc, copy: backend.ops.copy(t), n });
    });
  };
  const slot = slotFor(model, nodeNames);
  const input = model.inputs[0].name;
  const runBatch = async (x: Tensor) => {
    let run: ForwardRun | undefined;
    slot.listener = listener;
    try {
      run = model.forward({ [input]: x }, { mode: 'eval' });
      slot.listener = undefined;
      for (const p of pending) p.acc.add(await p.copy.read(), p.n);
    } finally {
      slot.listener = undefined;
      for (const p of pending) p.copy.dispose();
      pending.length = 0;
      run?.dispose();
    }
  };
  if (isTensor) {
    await runBatch(images);
  } else {
    for (let s = 0; s < count; s += batchSize) {
      const idx = Int32Array.from({ length: Math.min(batchSize, count - s) }, (_, i) => s + i);
      const { x, y } = images.batch(idx, backend);
      y.dispose();
      try {
        await runBatch(x);
      } finally {
        x.dispose();
      }
    }
  }
  if (accs.size === 0) throw new HubelError('attribute', `diagnoseModel: none of the nodes ${nodeNames.map((n) => `'${n}'`).join(', ')} has a float output of shape [N, units, ...]`);
  const layers: LayerDiagnostics[] = [];
  for (const node of model.nodes) {
    for (const value of node.outputs) {
      const e = accs.get(value);
      if (e) layers.push(e.acc.result({ node: e.node, value, op: e.op }));
    }
  }
  return { images: count, layers, seconds: (performance.now() - t0) / 1000 };
}
