/**
 * The MNIST format without the file system: class names, file names, and the conversion of a
 * pair of decoded IDX files into a dataset. Shared by loadMnist (Node) and the browser entry.
 */
import { ArrayDataset, HubelError } from '@hubel/core';
import type { IdxArray } from './idx-decode.js';

/** Fashion-MNIST's class names by label (Xiao, Rasul & Vollgraf 2017). */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);

/** MNIST's class names: the digits. */
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Which part of a dataset's files to read. */
export type Split = 'train' | 'test';

/** A labelled image set: the dataset plus where it came from and what its labels mean. */
export interface ImageSet {
  /** Images [N, C, H, W] float32 in [0, 1], labels int32. */
  readonly dataset: ArrayDataset;
  /** Name of each label, indexed by label. */
  readonly classNames: readonly string[];
  /** The files read, for messages. */
  readonly files: readonly string[];
}

const PREFIX: Record<Split, string> = { train: 'train', test: 't10k' };

/** Candidate file names for one split and kind, in the spellings the official mirrors use. */
export function idxFileNames(split: Split, kind: 'images' | 'labels'): string[] {
  const rank = kind === 'images' ? 3 : 1;
  const bases = [`${PREFIX[split]}-${kind}-idx${rank}-ubyte`, `${PREFIX[split]}-${kind}.idx${rank}-ubyte`];
  return bases.flatMap((b) => [`${b}.gz`, b]);
}

/** Options of {@link idxImageSet}. */
export interface IdxImageSetOptions {
  /** Name of each label; labels must lie in [0, classNames.length). */
  readonly classNames: readonly string[];
  /** Keep only the first `limit` examples (quick runs). */
  readonly limit?: number;
  /** Where the images came from, for messages (a path or URL). */
  readonly imagesSource?: string;
  /** Where the labels came from, for messages. */
  readonly labelsSource?: string;
}

/**
 * A dataset from decoded MNIST-format files: images (ubyte, [N, H, W]) become float32 in
 * [0, 1] as [N, 1, H, W], labels (ubyte, [N]) int32. Throws a `format` error naming the source
 * when the files are of the wrong rank or type, their counts differ, or a label is not a class.
 */
export function idxImageSet(images: IdxArray, labels: IdxArray, o: IdxImageSetOptions): ArrayDataset {
  const imagesSource = o.imagesSource ?? 'images';
  const labelsSource = o.labelsSource ?? 'labels';
  if (images.dims.length !== 3 || images.type !== 'ubyte') {
    throw new HubelError('format', `${imagesSource}: expected ubyte images [N, H, W], found ${images.type} [${images.dims.join(', ')}]`);
  }
  if (labels.dims.length !== 1 || labels.type !== 'ubyte') {
    throw new HubelError('format', `${labelsSource}: expected ubyte labels [N], found ${labels.type} [${labels.dims.join(', ')}]`);
  }
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) throw new HubelError('format', `${n} images in ${imagesSource} but ${labels.dims[0]} labels in ${labelsSource}`);
  const classNames = o.classNames;
  const keep = o.limit === undefined ? n : Math.min(n, Math.max(0, Math.floor(o.limit)));
  const pixels = h * w;
  const x = new Float32Array(keep * pixels);
  const src = images.data as Uint8Array;
  const scale = 1 / 255;
  for (let i = 0; i < x.length; i++) x[i] = src[i] * scale;
  const y = new Int32Array(keep);
  const lab = labels.data as Uint8Array;
  for (let i = 0; i < keep; i++) {
    if (lab[i] >= classNames.length) {
      throw new HubelError('format', `${labelsSource}: label ${lab[i]} at index ${i} is outside [0, ${classNames.length}) (classes: ${classNames.join(', ')})`);
    }
    y[i] = lab[i];
  }
  return new ArrayDataset(x, [1, h, w], y, [], classNames.length);
}
