// Shared by lab-search.test.ts and lab-ablate.test.ts: the same images of the bundled sample
// written twice, as an image folder (lossless gray PNGs in train/ and test/, one sub-folder per
// class) and as MNIST-format IDX files, so that a command given either must print the same
// numbers. The IDX files hold the images in the order the image-folder loader reads them (class
// by class, file names sorted), and the class folders are named c0…c9 so that their sorted
// order gives the same labels.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '@hubel/viz';
import { sampleSplit } from './cli-helpers.js';

/** An image folder and an IDX directory holding the same images with the same labels. */
export interface TwinData {
  /** train/ and test/ (split-folders layout), each with class folders c0…c9 of PNGs. */
  readonly folder: string;
  /** train-* and t10k-* IDX files (uncompressed). */
  readonly idx: string;
}

/** Big-endian IDX file: magic (0, 0, type 0x08 = ubyte, rank), the dimensions, then the bytes. */
function idxFile(dims: readonly number[], bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt8(0x08, 2);
  head.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(bytes)]);
}

/**
 * Writes the first `nTrain` training and `nTest` test images of the sample under `root` as an
 * image folder and as IDX files (see the file comment).
 */
export function writeTwinData(root: string, nTrain: number, nTest: number): TwinData {
  const folder = join(root, 'folder');
  const idx = join(root, 'idx');
  mkdirSync(idx, { recursive: true });
  for (const [split, n, prefix, part] of [['train', nTrain, 'train', 'train'], ['t10k', nTest, 't10k', 'test']] as const) {
    const { pixels, labels } = sampleSplit(split, n);
    // Class by class, index order within a class: the folder loader's order (names are zero-padded indices).
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => labels[a] - labels[b] || a - b);
    const x = new Uint8Array(n * 784);
    const y = new Uint8Array(n);
    order.forEach((i, k) => {
      const image = pixels.subarray(i * 784, (i + 1) * 784);
      x.set(image, k * 784);
      y[k] = labels[i];
      const dir = join(folder, part, `c${labels[i]}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${String(i).padStart(5, '0')}.png`), encodePng({ width: 28, height: 28, channels: 1, data: image }));
    });
    writeFileSync(join(idx, `${prefix}-images-idx3-ubyte`), idxFile([n, 28, 28], x));
    writeFileSync(join(idx, `${prefix}-labels-idx1-ubyte`), idxFile([n], y));
  }
  return { folder, idx };
}
