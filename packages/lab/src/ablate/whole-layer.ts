/**
 * Whole-layer lesions of a trained model: a layer whose output has the shape (and type) of its
 * input is replaced by the identity, i.e. taken out of the graph with its consumers reading its
 * input instead, and the test error measured without retraining. Activations, dropout, batch
 * norm, LRN and same-shape convolutions or dense layers qualify; a layer that changes the shape
 * (pooling, a convolution that changes the channel count, flatten, the score layer) or that
 * merges several inputs cannot be replaced by identity and is listed with the reason.
 *
 * The lesioned model is a second {@link Model} over the same nodes and parameter tensors (like
 * `Model.withLoss`), so the trained model is never edited and nothing is copied.
 */
import { HubelError, Model, fmtShape, layerLabel, type Dataset, type Node } from '@hubel/core';
import { errorOf } from './lesion.js';

/** A layer that cannot be replaced by identity, and why. */
export interface IdentityRefusal {
  /** The node's name. */
  readonly layer: string;
  /** Its op, e.g. `MaxPool`. */
  readonly op: string;
  /** Why, e.g. `input [N, 4, 28, 28], output [N, 4, 14, 14]`. */
  readonly reason: string;
}

/** Which layers of a model can be replaced by identity ({@link identityLayers}). */
export interface IdentityPlan {
  /** Nodes whose output has its input's shape and type, in topological order. */
  readonly layers: readonly string[];
  /** Every other node, in topological order, with the reason. */
  readonly refused: readonly IdentityRefusal[];
}

/** Test error with one whole layer replaced by identity. */
export interface LayerLesion {
  /** The node replaced by identity. */
  readonly layer: string;
  /** Its op, e.g. `Relu`. */
  readonly op: string;
  /** Top-1 error without the layer. */
  readonly error: number;
  /** `error − baseline`: how much removing it hurts (negative: it helps). */
  readonly damage: number;
}

/** What {@link lesionWholeLayers} returns. */
export interface WholeLayerLesionResult {
  /** Examples evaluated. */
  readonly examples: number;
  /** Top-1 error of the intact model. */
  readonly baseline: number;
  /** One entry per layer replaced by identity, sorted by damage (largest first; ties in graph order). */
  readonly lesions: readonly LayerLesion[];
  /** The layers whose shapes do not allow identity, in graph order, with the reason. */
  readonly refused: readonly IdentityRefusal[];
  /** Wall time. */
  readonly seconds: number;
}

/** Options of {@link lesionWholeLayers}. */
export interface WholeLayerLesionOptions {
  /** Examples per forward pass; default 256. */
  readonly batchSize?: number;
  /** Evaluate only the first `limit` examples; default all. */
  readonly limit?: number;
  /** Replace only these layers (each must allow identity); default every layer that does. */
  readonly layers?: readonly string[];
  /** Called after each lesion (progress). */
  readonly onLayer?: (done: number, total: number) => void;
}

/** The non-empty inputs of a node: the values it reads. */
const dataInputs = (node: Node) => node.inputs.filter((v) => v !== '');

/** Why `node` cannot be replaced by identity in `model`, or undefined when it can. */
function identityRefusal(model: Model, node: Node): string | undefined {
  const inputs = dataInputs(node);
  if (inputs.length !== 1) return inputs.length ? `${inputs.length} inputs (identity passes one through)` : 'no input';
  const [out, ...extra] = node.outputs;
  if (!out) return 'its first output is unused';
  const used = (v: string) => v !== '' && (model.outputs.includes(v) || model.nodes.some((n) => n.inputs.includes(v)));
  const usedExtra = extra.find(used);
  if (usedExtra !== undefined) return `its output '${usedExtra}' besides the first is used`;
  if (model.inputs.some((i) => i.name === inputs[0]) && model.outputs.includes(out)) return 'it is the whole graph (input to output)';
  const a = model.valueInfo.get(inputs[0]);
  const b = model.valueInfo.get(out);
  if (!a || !b) return 'its shapes are not known';
  const io = `input ${fmtShape(a.shape)}, output ${fmtShape(b.shape)}`;
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return io;
  // A symbolic size other than the batch may differ between input and output at run time.
  if (a.shape.some((d, i) => d === null && i > 0)) return `${io}: sizes other than the batch are symbolic`;
  if (a.dtype !== b.dtype) return `input ${a.dtype}, output ${b.dtype}`;
  return undefined;
}

/**
 * Splits the nodes of `model` into those that can be replaced by identity (one input, the
 * output's shape and type equal to the input's, other outputs unused) and the others, with the
 * reason for each.
 */
export function identityLayers(model: Model): IdentityPlan {
  const layers: string[] = [];
  const refused: IdentityRefusal[] = [];
  for (const node of model.nodes) {
    const reason = identityRefusal(model, node);
    if (reason === undefined) layers.push(node.name);
    else refused.push({ layer: node.name, op: layerLabel(node.layer), reason });
  }
  return { layers, refused };
}

/**
 * `model` with node `layer` replaced by identity: the node is left out and every reader of its
 * output (a node, or the graph output) reads its input instead. The result shares the nodes and
 * parameter tensors of `model` (disposing it frees nothing; dispose `model` when done with
 * both) and has hooks of its own. Throws for an unknown layer or one whose shapes do not allow
 * identity, saying why.
 */
export function withoutLayer(model: Model, layer: string): Model {
  const node = model.nodes.find((n) => n.name === layer);
  if (!node) throw new HubelError('attribute', `lesion: unknown layer '${layer}' (layers that can be replaced by identity: ${identityLayers(model).layers.join(', ') || 'none'})`);
  const reason = identityRefusal(model, node);
  if (reason !== undefined) throw new HubelError('attribute', `lesion: layer '${layer}' (${layerLabel(node.layer)}) cannot be replaced by identity: ${reason}`);
  const from = dataInputs(node)[0];
  const to = node.outputs[0];
  const swap = (v: string) => (v === to ? from : v);
  const nodes = model.nodes.filter((n) => n !== node).map((n) => (n.inputs.includes(to) ? { ...n, inputs: n.inputs.map(swap) } : n));
  return new Model(
    { backend: model.backend, registry: model.registry, inputs: model.inputs, outputs: model.outputs.map(swap), nodes, valueInfo: model.valueInfo, metadata: model.metadata, rng: model.rng },
    false,
  );
}

/**
 * Replaces each layer that allows it by identity in turn ({@link withoutLayer}) and measures the
 * top-1 error of the model on `data` (eval mode, no retraining). The model itself is not edited.
 * Returns the lesions sorted by damage and the layers that cannot be replaced, with the reason.
 * Throws for a layer in `options.layers` that is unknown or does not allow identity, and for a
 * model whose output is not class scores [N, classes].
 */
export async function lesionWholeLayers(model: Model, data: Dataset, options: WholeLayerLesionOptions = {}): Promise<WholeLayerLesionResult> {
  const t0 = performance.now();
  const batchSize = options.batchSize ?? 256;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new HubelError('attribute', `lesion: batchSize must be a positive integer, found ${batchSize}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) throw new HubelError('attribute', `lesion: limit must be a positive integer, found ${options.limit}`);
  const examples = Math.min(options.limit ?? data.length, data.length);
  if (examples === 0) throw new HubelError('attribute', 'lesion: no examples to evaluate');
  const plan = identityLayers(model);
  const layers = options.layers ?? plan.layers;
  const lesioned = layers.map((layer) => withoutLayer(model, layer)); // throws before any evaluation
  const baseline = await errorOf(model, data, examples, batchSize);
  const lesions: LayerLesion[] = [];
  for (const [i, m] of lesioned.entries()) {
    const error = await errorOf(m, data, examples, batchSize);
    lesions.push({ layer: layers[i], op: layerLabel(model.node(layers[i]).layer), error, damage: error - baseline });
    options.onLayer?.(i + 1, layers.length);
  }
  const order = new Map(model.nodes.map((n, i) => [n.name, i]));
  lesions.sort((a, b) => b.damage - a.damage || order.get(a.layer)! - order.get(b.layer)!);
  return { examples, baseline, lesions, refused: plan.refused, seconds: (performance.now() - t0) / 1000 };
}
