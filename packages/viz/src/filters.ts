import { HubelError, fmtShape, type Model, type Node } from '@hubel/core';
import { tileGrid, type GridOptions, type Image } from './grid.js';

/**
 * The filters of a convolution's weight W [F, C, kh, kw] as a grid, one tile per filter,
 * each contrast-normalized on its own (as in Krizhevsky et al. 2012, figure 3). With C = 3
 * tiles are RGB; with other C each (filter, channel) pair is its own gray tile, one row of
 * C tiles per filter when C ≤ 16.
 */
export function filterGrid(weights: ArrayLike<number>, shape: readonly number[], o: GridOptions = {}): Image {
  if (shape.length !== 4) throw new HubelError('shape', `filterGrid: expected weights [F, C, kh, kw], found ${fmtShape(shape)}`);
  const [f, c, kh, kw] = shape;
  if (c === 3) return tileGrid(weights, f, 3, kh, kw, o);
  return tileGrid(weights, f * c, 1, kh, kw, { columns: c > 1 && c <= 16 ? c : undefined, ...o });
}

/** The model's first node with a 4-D weight W (its first convolution), or undefined. */
export function firstConvNode(model: Model): Node | undefined {
  return model.nodes.find((n) => n.params.W?.shape.length === 4);
}

/**
 * Reads a convolution node's weights (default: the first convolution) and lays them out
 * with `filterGrid`. Throws naming the model's nodes when there is no such node.
 */
export async function modelFilterGrid(model: Model, nodeName?: string, o: GridOptions = {}): Promise<Image> {
  const node = nodeName ? model.node(nodeName) : firstConvNode(model);
  const W = node?.params.W;
  if (!node || !W || W.shape.length !== 4) {
    throw new HubelError('graph', `filter picture: ${nodeName ? `node '${nodeName}' has` : 'the model has no node with'} a 4-D weight W (nodes: ${model.nodes.map((n) => n.name).join(', ')})`);
  }
  return filterGrid(await W.read(), W.shape, o);
}
