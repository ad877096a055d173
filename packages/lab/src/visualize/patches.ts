/**
 * Zeiler & Fergus's "top image patches" (2014, figure 2): for each unit (channel) of a layer,
 * the dataset images whose strongest response anywhere in the map is largest, each cropped to
 * the receptive field of the position where that maximum occurs.
 */
import { HubelError, type Model } from '@hubel/core';
import { tileGrid, type GridOptions, type Image } from '@hubel/viz';
import { receptiveField, unitField, type FieldBox, type ReceptiveField } from '../receptive-field.js';
import { imageCount, spatialLayerOutput, type ImageBatch } from './layer.js';

/** Options of {@link topPatches}. */
export interface TopPatchesOptions {
  /** Units (channels) to look at: the first K; default 8. */
  readonly units?: number;
  /** Patches per unit; default 9 (Zeiler & Fergus). */
  readonly perUnit?: number;
  /** Images per forward pass; default 100. */
  readonly batch?: number;
}

/** One top-activating image for a unit. */
export interface UnitPatch {
  /** Index of the image in the batch of images searched. */
  readonly image: number;
  /** Spatial position [row, column] of the unit's maximum in that image's map. */
  readonly position: readonly number[];
  /** The activation there: the map's maximum over positions. */
  readonly activation: number;
  /** The receptive field of that position in the image (unclipped and clipped). */
  readonly box: FieldBox;
}

/** The top patches of one unit, strongest first. */
export interface UnitPatches {
  /** The channel. */
  readonly unit: number;
  /** Up to `perUnit` patches, by decreasing activation (ties: lower image index first). */
  readonly patches: readonly UnitPatch[];
}

/** What {@link topPatches} returns. */
export interface TopPatches {
  /** The value searched (a node's output). */
  readonly value: string;
  /** The layer's receptive field: every patch is `field.size` pixels before clipping. */
  readonly field: ReceptiveField;
  /** Images searched. */
  readonly images: number;
  /** One entry per unit, units 0 … K−1. */
  readonly units: readonly UnitPatches[];
}

/**
 * Runs every image of `images` through the model (eval mode, `batch` at a time) and, for each of
 * the first `units` channels of `layer`'s output [N, C, H, W], keeps the `perUnit` images with the
 * largest maximum over spatial positions, with that position and its receptive field
 * ({@link receptiveField}). Throws a HubelError for an unknown layer (listing the layers), a layer
 * without spatial output (listing those with one), or images that do not fit the model.
 */
export async function topPatches(model: Model, layer: string, images: ImageBatch, options: TopPatchesOptions = {}): Promise<TopPatches> {
  const { value } = spatialLayerOutput(model, layer, 'patches');
  const field = receptiveField(model, value);
  const n = imageCount(model, images);
  if (n === 0) throw new HubelError('attribute', 'patches: no images to search');
  const perUnit = positiveInt(options.perUnit ?? 9, 'patches per unit');
  const wantUnits = positiveInt(options.units ?? 8, 'units');
  const batch = positiveInt(options.batch ?? 100, 'batch');
  const per = images.inputShape.reduce((a, b) => a * b, 1);
  let top: UnitPatch[][] | undefined;
  let units = 0;
  for (let b0 = 0; b0 < n; b0 += batch) {
    const m = Math.min(batch, n - b0);
    const x = model.backend.tensor(images.x.subarray(b0 * per, (b0 + m) * per), [m, ...images.inputShape]);
    const run = model.forward({ [model.inputs[0].name]: x }, { mode: 'eval' });
    let y: ArrayLike<number>;
    let shape: readonly number[];
    try {
      const t = run.get(value);
      shape = t.shape;
      y = await t.read();
    } finally {
      run.dispose();
      x.dispose();
    }
    const [, c, h, w] = shape;
    units = Math.min(wantUnits, c);
    top ??= Array.from({ length: units }, () => []);
    const imageSize = images.inputShape.slice(1);
    for (let i = 0; i < m; i++) {
      for (let u = 0; u < units; u++) {
        const at = (i * c + u) * h * w;
        let best = 0;
        for (let p = 1; p < h * w; p++) if (y[at + p] > y[at + best]) best = p;
        const activation = y[at + best];
        const list = top[u];
        if (list.length === perUnit && !(activation > list[perUnit - 1].activation)) continue;
        const position = [Math.floor(best / w), best % w];
        const entry: UnitPatch = { image: b0 + i, position, activation, box: unitField(field, position, imageSize) };
        let k = list.length;
        while (k > 0 && list[k - 1].activation < activation) k--;
        list.splice(k, 0, entry);
        if (list.length > perUnit) list.pop();
      }
    }
  }
  return { value, field, images: n, units: (top ?? []).map((patches, unit) => ({ unit, patches })) };
}

/**
 * The pixels one patch covers: `field.size` pixels per axis for every channel ([C, fh, fw],
 * planar), the image where the field lies inside it and 0 where it runs past the border (what
 * a zero-padded network sees there).
 */
export function patchPixels(images: ImageBatch, patch: UnitPatch, field: ReceptiveField): Float32Array {
  const [c, h, w] = images.inputShape;
  const [fh, fw] = field.size;
  const out = new Float32Array(c * fh * fw);
  const { start, clippedStart, clippedEnd } = patch.box;
  const base = patch.image * c * h * w;
  for (let ch = 0; ch < c; ch++) {
    for (let r = clippedStart[0]; r < clippedEnd[0]; r++) {
      for (let col = clippedStart[1]; col < clippedEnd[1]; col++) {
        out[(ch * fh + r - start[0]) * fw + col - start[1]] = images.x[base + (ch * h + r) * w + col];
      }
    }
  }
  return out;
}

/**
 * The patches as one grid (@hubel/viz's `tileGrid`): one row per unit, its patches left to
 * right by decreasing activation, each tile the full field (zero beyond the image border) and
 * contrast-normalized on its own; RGB for 3-channel images. `images` must be the images
 * `result` was computed from.
 */
export function patchImage(result: TopPatches, images: ImageBatch, grid: Omit<GridOptions, 'columns'> = {}): Image {
  const channels = images.inputShape[0];
  if (channels !== 1 && channels !== 3) throw new HubelError('shape', `patches: images with ${channels} channels cannot be shown (1 or 3)`);
  const [fh, fw] = result.field.size;
  // Every image is a candidate for every unit, so all units have the same number of patches.
  const columns = result.units[0]?.patches.length ?? 0;
  if (columns === 0) throw new HubelError('attribute', 'patches: nothing to show');
  const per = channels * fh * fw;
  const count = result.units.length * columns;
  const values = new Float32Array(count * per);
  result.units.forEach((u, row) => u.patches.forEach((p, k) => values.set(patchPixels(images, p, result.field), (row * columns + k) * per)));
  return tileGrid(values, count, channels, fh, fw, { ...grid, columns });
}

function positiveInt(v: number, what: string): number {
  if (!(Number.isInteger(v) && v >= 1)) throw new HubelError('attribute', `patches: ${what} must be a positive integer, found ${v}`);
  return v;
}
