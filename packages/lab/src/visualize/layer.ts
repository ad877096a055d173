/**
 * Resolving `--layer NAME` for the visualizations: a node name (standing for its first output)
 * or a value name, with errors that list what exists.
 */
import { HubelError, fmtShape, layerLabel, type Model, type Node, type Tensor } from '@hubel/core';

/** A layer output picked by name: the value, the node that makes it, and its inferred shape. */
export interface LayerOutput {
  /** The value name (what `run.get` takes). */
  readonly value: string;
  /** The node producing it. */
  readonly node: Node;
  /** Its shape from build-time inference, batch dimension `null`. */
  readonly shape: readonly (number | null)[];
}

/** Images as host arrays: `x` holds N examples of `inputShape` ([C, H, W]) one after another, NCHW. */
export interface ImageBatch {
  /** Pixel values, example after example. */
  readonly x: Float32Array | Float64Array;
  /** One example's shape, [C, H, W]. */
  readonly inputShape: readonly number[];
}

/** The node names of the model, for messages. */
export function layerNames(model: Model): string {
  return model.nodes.map((n) => n.name).join(', ');
}

/** Resolves `name` to a node's output; throws a `graph` HubelError listing the layers when there is none. */
export function layerOutput(model: Model, name: string): LayerOutput {
  const node = model.nodes.find((n) => n.name === name) ?? model.nodes.find((n) => n.outputs.includes(name));
  if (!node) throw new HubelError('graph', `no layer named '${name}' (layers: ${layerNames(model)})`);
  const value = node.name === name ? node.outputs[0] : name;
  const shape = model.valueInfo.get(value)?.shape;
  if (!shape) throw new HubelError('graph', `layer '${name}': the model records no shape for its output '${value}'`);
  return { value, node, shape };
}

/**
 * Like {@link layerOutput}, and requires spatial output [N, C, H, W]; `what` names the
 * visualization in the error, which lists the layers that have such output.
 */
export function spatialLayerOutput(model: Model, name: string, what: string): LayerOutput {
  const out = layerOutput(model, name);
  if (out.shape.length !== 4) {
    const spatial = model.nodes.filter((n) => model.valueInfo.get(n.outputs[0])?.shape.length === 4).map((n) => n.name);
    throw new HubelError(
      'shape',
      `${what}: layer '${name}' (${layerLabel(out.node.layer)}) has output ${fmtShape(out.shape)}, without spatial axes; ${what} needs a layer with [N, C, H, W] output (${spatial.join(', ') || 'none in this model'})`,
    );
  }
  return out;
}

/** The number of examples in `images`, checking that they fit the model's input. */
export function imageCount(model: Model, images: ImageBatch): number {
  const want = model.inputs[0].shape.slice(1);
  const shape = images.inputShape;
  if (want.length !== shape.length || want.some((d, i) => d !== null && d !== shape[i])) {
    throw new HubelError('shape', `the model takes input ${fmtShape(model.inputs[0].shape)}, the images are ${fmtShape([null, ...shape])}`);
  }
  const per = shape.reduce((a, b) => a * b, 1);
  return Math.floor(images.x.length / per);
}

/** Example `index` of `images` as a [1, C, H, W] tensor on the model's backend (the caller disposes it). */
export function exampleTensor(model: Model, images: ImageBatch, index: number): Tensor {
  const n = imageCount(model, images);
  if (!(Number.isInteger(index) && index >= 0 && index < n)) throw new HubelError('attribute', `image ${index} is out of range: there are ${n} images (0 to ${n - 1})`);
  const per = images.inputShape.reduce((a, b) => a * b, 1);
  return model.backend.tensor(images.x.subarray(index * per, (index + 1) * per), [1, ...images.inputShape]);
}
