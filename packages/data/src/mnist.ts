import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrayDataset, HubelError } from '@hubel/core';
import { readIdx } from './idx.js';

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

/** Options of the IDX-directory readers (MNIST, Fashion-MNIST). */
export interface IdxSetOptions {
  /** 'train' reads train-*, 'test' reads t10k-*. Default 'train'. */
  readonly split?: Split;
  /** Keep only the first `limit` examples (quick runs). */
  readonly limit?: number;
  /** Class names; default: `labels.txt` in the directory (one per line), else Fashion-MNIST's when the path mentions "fashion", else digits. */
  readonly classNames?: readonly string[];
}

const PREFIX: Record<Split, string> = { train: 'train', test: 't10k' };

/** Candidate file names for one split and kind, in the spellings the official mirrors use. */
export function idxFileNames(split: Split, kind: 'images' | 'labels'): string[] {
  const rank = kind === 'images' ? 3 : 1;
  const bases = [`${PREFIX[split]}-${kind}-idx${rank}-ubyte`, `${PREFIX[split]}-${kind}.idx${rank}-ubyte`];
  return bases.flatMap((b) => [`${b}.gz`, b]);
}

/**
 * Loads an MNIST-format split (MNIST, Fashion-MNIST, or the bundled sample) from `dir`:
 * `train-images-idx3-ubyte[.gz]` + `train-labels-idx1-ubyte[.gz]`, or `t10k-*` for the test
 * split. Pixels become float32 in [0, 1] as [N, 1, H, W]; labels int32 in [0, classes).
 * Throws `io` errors for a missing directory or file, `format` errors (naming the file) for
 * wrong or truncated IDX files and for image/label count mismatches.
 */
export async function loadMnist(dir: string, options: IdxSetOptions = {}): Promise<ImageSet> {
  const split = options.split ?? 'train';
  checkDir(dir);
  const entries = await readdir(dir);
  const find = (kind: 'images' | 'labels') => {
    const names = idxFileNames(split, kind);
    const hit = names.find((n) => entries.includes(n));
    if (!hit) {
      const idx = entries.filter((e) => /idx\d/.test(e));
      throw new HubelError(
        'io',
        `${dir}: no ${split} ${kind} file (looked for ${names.join(', ')}; found ${idx.length ? idx.join(', ') : 'no IDX files'})`,
      );
    }
    return join(dir, hit);
  };
  const imagesPath = find('images');
  const labelsPath = find('labels');
  const images = await readIdx(imagesPath, { rank: 3, type: 'ubyte' });
  const labels = await readIdx(labelsPath, { rank: 1, type: 'ubyte' });
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) {
    throw new HubelError('format', `${dir}: ${n} images in ${imagesPath} but ${labels.dims[0]} labels in ${labelsPath}`);
  }
  const classNames = options.classNames ?? defaultClassNames(dir);
  const keep = options.limit === undefined ? n : Math.min(n, Math.max(0, Math.floor(options.limit)));
  const pixels = h * w;
  const x = new Float32Array(keep * pixels);
  const src = images.data as Uint8Array;
  const scale = 1 / 255;
  for (let i = 0; i < x.length; i++) x[i] = src[i] * scale;
  const y = new Int32Array(keep);
  const lab = labels.data as Uint8Array;
  for (let i = 0; i < keep; i++) {
    if (lab[i] >= classNames.length) {
      throw new HubelError('format', `${labelsPath}: label ${lab[i]} at index ${i} is outside [0, ${classNames.length}) (classes: ${classNames.join(', ')})`);
    }
    y[i] = lab[i];
  }
  return { dataset: new ArrayDataset(x, [1, h, w], y, [], classNames.length), classNames, files: [imagesPath, labelsPath] };
}

/** Fashion-MNIST is MNIST's format with other class names; this is `loadMnist` defaulting to them. */
export function loadFashionMnist(dir: string, options: IdxSetOptions = {}): Promise<ImageSet> {
  return loadMnist(dir, { classNames: FASHION_MNIST_CLASSES, ...options });
}

/**
 * Class names for a data directory: `labels.txt` (one name per line) if present, else
 * Fashion-MNIST's when the path mentions "fashion", else the digits.
 */
export function defaultClassNames(dir: string): readonly string[] {
  const file = join(dir, 'labels.txt');
  if (existsSync(file)) {
    const names = readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (names.length < 2) throw new HubelError('format', `${file}: expected one class name per line (at least 2), found ${names.length}`);
    return names;
  }
  return /fashion/i.test(dir) ? FASHION_MNIST_CLASSES : MNIST_CLASSES;
}

/** Throws an `io` error unless `dir` is an existing directory. */
export function checkDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new HubelError('io', `data directory ${dir} does not exist`);
  }
  if (!isDir) throw new HubelError('io', `${dir} is not a directory (expected a directory of IDX files)`);
}

/**
 * Directory of the bundled Fashion-MNIST sample (4,000 training and 1,000 test images,
 * class-balanced; MIT licence and attribution beside the files).
 */
export const FASHION_MNIST_SAMPLE_DIR: string = fileURLToPath(new URL('../sample/fashion-mnist/', import.meta.url));
