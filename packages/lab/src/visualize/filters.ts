import { HubelError, fmtShape, layerLabel, type Model } from '@hubel/core';
import { filterGrid, type GridOptions, type Image } from '@hubel/viz';
import { layerNames } from './layer.js';

/** Options of {@link filterImage}. */
export interface FilterImageOptions {
  /** Show only the first this many filters (output channels); default all. */
  readonly maxFilters?: number;
  /** Layout of the grid (columns, scale, gap). */
  readonly grid?: GridOptions;
}

/** What {@link filterImage} returns: the picture and what it shows. */
export interface FilterPicture {
  /** The grid: RGB tiles when the filters have 3 input channels, else one gray tile per (filter, input channel). */
  readonly image: Image;
  /** The weight's shape [F, C, kh, kw]. */
  readonly shape: readonly number[];
  /** Filters shown (≤ F). */
  readonly filters: number;
}

/**
 * The filters of a convolution node (any node with a 4-D weight W [F, C/group, kh, kw]) as one
 * grid, laid out by @hubel/viz's `filterGrid`: each filter contrast-normalized on its own, in
 * colour when it has 3 input channels (a first layer on RGB images), else one gray tile per
 * input-channel slice, one row per filter when C ≤ 16. `layer` is a node name or the name of
 * its output. Throws a `graph` HubelError listing the layers when there is no such node, or
 * naming the layers that have filters when this one has none.
 */
export async function filterImage(model: Model, layer: string, options: FilterImageOptions = {}): Promise<FilterPicture> {
  const node = model.nodes.find((n) => n.name === layer) ?? model.nodes.find((n) => n.outputs.includes(layer));
  if (!node) throw new HubelError('graph', `no layer named '${layer}' (layers: ${layerNames(model)})`);
  const W = node.params.W;
  if (!W || W.shape.length !== 4) {
    const convs = model.nodes.filter((n) => n.params.W?.shape.length === 4).map((n) => n.name);
    throw new HubelError('graph', `filters: layer '${layer}' (${layerLabel(node.layer)}) has no convolution filters (a 4-D weight W${W ? `; its W is ${fmtShape(W.shape)}` : ''}); layers with filters: ${convs.join(', ') || 'none'}`);
  }
  const [f, c, kh, kw] = W.shape;
  const max = options.maxFilters ?? f;
  if (!(Number.isInteger(max) && max >= 1)) throw new HubelError('attribute', `filters: the number of filters to show must be a positive integer, found ${max}`);
  const filters = Math.min(f, max);
  const values = (await W.read()).subarray(0, filters * c * kh * kw);
  return { image: filterGrid(values, [filters, c, kh, kw], options.grid), shape: W.shape, filters };
}
