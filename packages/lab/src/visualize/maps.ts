import type { Model } from '@hubel/core';
import { featureMapGrid, type GridOptions, type Image } from '@hubel/viz';
import { exampleTensor, spatialLayerOutput, type ImageBatch } from './layer.js';

/** What {@link featureMapImage} returns: the picture and what it shows. */
export interface FeatureMapPicture {
  /** One gray tile per channel, each contrast-normalized on its own. */
  readonly image: Image;
  /** The value shown. */
  readonly value: string;
  /** Its shape for one image, [C, H, W]. */
  readonly shape: readonly number[];
}

/**
 * The feature maps of example `index` of `images` at `layer` (a node name or a value name), in
 * eval mode, as a grid by @hubel/viz's `featureMapGrid`. Throws a HubelError listing the layers
 * for an unknown name, listing the spatial layers when the layer's output is not [N, C, H, W],
 * and giving the range when `index` is out of range.
 */
export async function featureMapImage(model: Model, layer: string, images: ImageBatch, index: number, grid?: GridOptions): Promise<FeatureMapPicture> {
  const { value, shape } = spatialLayerOutput(model, layer, 'feature maps');
  const x = exampleTensor(model, images, index);
  try {
    const image = await featureMapGrid(model, x, value, grid);
    return { image, value, shape: shape.slice(1) as number[] };
  } finally {
    x.dispose();
  }
}
