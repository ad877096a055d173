import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubelError } from '@hubel/core';
import { readIdx } from './idx.js';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES, idxFileNames, idxImageSet, type ImageSet, type Split } from './mnist-format.js';

export { FASHION_MNIST_CLASSES, MNIST_CLASSES, idxFileNames, idxImageSet, type IdxImageSetOptions, type ImageSet, type Split } from './mnist-format.js';

/** Options of the IDX-directory readers (MNIST, Fashion-MNIST). */
export interface IdxSetOptions {
  /** 'train' reads train-*, 'test' reads t10k-*. Default 'train'. */
  readonly split?: Split;
  /** Keep only the first `limit` examples (quick runs). */
  readonly limit?: number;
  /** Class names; default: `labels.txt` in the directory (one per line), else Fashion-MNIST's when the path mentions "fashion", else digits. */
  readonly classNames?: readonly string[];
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
  if (labels.dims[0] !== images.dims[0]) {
    throw new HubelError('format', `${dir}: ${images.dims[0]} images in ${imagesPath} but ${labels.dims[0]} labels in ${labelsPath}`);
  }
  const classNames = options.classNames ?? defaultClassNames(dir);
  const dataset = idxImageSet(images, labels, { classNames, limit: options.limit, imagesSource: imagesPath, labelsSource: labelsPath });
  return { dataset, classNames, files: [imagesPath, labelsPath] };
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
