import { HubelError, type Model, type Tensor } from '@hubel/core';
import { tileGrid, type GridOptions, type Image } from './grid.js';

/**
 * Runs `x` (one or more images, NCHW) through the model in eval mode and lays out the
 * feature maps of the first image at `value` (a value name: a node's output, e.g. 'conv1'
 * or 'relu2') as a gray grid, each map contrast-normalized on its own. The caller keeps
 * owning `x`; everything the run computed is freed.
 */
export async function featureMapGrid(model: Model, x: Tensor, value: string, o: GridOptions = {}): Promise<Image> {
  const run = model.forward({ [model.inputs[0].name]: x }, { mode: 'eval' });
  try {
    const t = run.get(value);
    if (t.shape.length !== 4) throw new HubelError('shape', `feature maps: value '${value}' has shape [${t.shape.join(', ')}], expected [N, C, H, W]`);
    const [, c, h, w] = t.shape;
    const values = (await t.read()).subarray(0, c * h * w);
    return tileGrid(values, c, 1, h, w, o);
  } finally {
    run.dispose();
  }
}
