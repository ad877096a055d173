import { layerLabel, type Model } from '@hubel/core';
import { filterGrid, firstConvNode, type Image } from '@hubel/viz';

/** Units shown for a fully connected first layer. */
const MAX_UNITS = 64;

/**
 * The first layer's weights as a picture: a convolution's filters, or, for a model starting
 * with Flatten → Gemm (an MLP), each of the first 64 units' weights over the input image.
 * Undefined when the first weighted layer is neither.
 */
export async function firstLayerPicture(model: Model): Promise<Image | undefined> {
  const conv = firstConvNode(model);
  const first = model.nodes.find((n) => n.params.W);
  if (conv && conv === first) return filterGrid(await conv.params.W.read(), conv.params.W.shape);
  const imageShape = model.inputs[0].shape.slice(1);
  if (!first || layerLabel(first.layer) !== 'Gemm' || imageShape.some((d) => d === null)) return undefined;
  const W = first.params.W;
  const pixels = (imageShape as number[]).reduce((a, b) => a * b, 1);
  if (W.shape[1] !== pixels || imageShape.length !== 3) return undefined;
  const units = Math.min(W.shape[0], MAX_UNITS);
  const values = (await W.read()).subarray(0, units * pixels);
  return filterGrid(values, [units, ...(imageShape as number[])]);
}
