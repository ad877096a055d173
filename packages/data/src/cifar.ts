/**
 * CIFAR-10's binary version (Krizhevsky 2009): each record is 1 label byte followed by
 * 3072 pixel bytes, the 32×32 red plane, then green, then blue, each row-major. A file
 * is a plain concatenation of records (10,000 per batch file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArrayDataset, HubelError } from '@hubel/core';
import { checkDir, type ImageSet, type Split } from './mnist.js';

/** CIFAR-10's class names by label. */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;

/**
 * Decodes CIFAR-10 binary records into float32 pixels in [0, 1] ([N, 3, 32, 32]; the file's
 * plane order is already NCHW) and int32 labels. Throws a `format` error naming `source`
 * when the length is not a whole number of records or a label is not in [0, 10).
 */
export function decodeCifar10(bytes: Uint8Array, source = 'CIFAR-10 data'): { x: Float32Array; y: Int32Array } {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new HubelError('format', `${source}: ${bytes.length} bytes is not a whole number of CIFAR-10 records (${RECORD} bytes each: 1 label + 3×32×32 pixels)`);
  }
  const n = bytes.length / RECORD;
  const x = new Float32Array(n * 3 * PLANE);
  const y = new Int32Array(n);
  const scale = 1 / 255;
  for (let i = 0; i < n; i++) {
    const at = i * RECORD;
    const label = bytes[at];
    if (label >= CIFAR10_CLASSES.length) throw new HubelError('format', `${source}: record ${i} has label ${label}, outside [0, 10) (is this CIFAR-100?)`);
    y[i] = label;
    const dst = i * 3 * PLANE;
    for (let j = 0; j < 3 * PLANE; j++) x[dst + j] = bytes[at + 1 + j] * scale;
  }
  return { x, y };
}

/**
 * Loads CIFAR-10 from `dir` (the extracted `cifar-10-batches-bin`, or its parent):
 * `data_batch_1.bin` … `data_batch_5.bin` for 'train', `test_batch.bin` for 'test'.
 * Each file's size is checked before it is read.
 */
export async function loadCifar10(dir: string, options: { split?: Split; limit?: number } = {}): Promise<ImageSet> {
  checkDir(dir);
  const root = existsSync(join(dir, 'cifar-10-batches-bin')) ? join(dir, 'cifar-10-batches-bin') : dir;
  const names = (options.split ?? 'train') === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const parts: { x: Float32Array; y: Int32Array }[] = [];
  const files: string[] = [];
  let total = 0;
  for (const name of names) {
    const file = join(root, name);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      throw new HubelError('io', `${root}: missing CIFAR-10 file ${name} (expected ${names.join(', ')})`);
    }
    if (size === 0 || size % RECORD !== 0) throw new HubelError('format', `${file}: ${size} bytes is not a whole number of CIFAR-10 records (${RECORD} bytes each)`);
    const fh = await open(file, 'r');
    const bytes = new Uint8Array(size);
    try {
      await fh.read(bytes, 0, size, 0);
    } finally {
      await fh.close();
    }
    parts.push(decodeCifar10(bytes, file));
    files.push(file);
    total += size / RECORD;
    if (options.limit !== undefined && total >= options.limit) break;
  }
  const n = options.limit === undefined ? total : Math.min(total, options.limit);
  const x = new Float32Array(n * 3 * PLANE);
  const y = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    const take = Math.min(p.y.length, n - at);
    x.set(p.x.subarray(0, take * 3 * PLANE), at * 3 * PLANE);
    y.set(p.y.subarray(0, take), at);
    at += take;
  }
  const meta = join(root, 'batches.meta.txt');
  const listed = existsSync(meta) ? readFileSync(meta, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean) : [];
  const classNames = listed.length === CIFAR10_CLASSES.length ? listed : CIFAR10_CLASSES;
  return { dataset: new ArrayDataset(x, [3, SIDE, SIDE], y, [], 10), classNames, files };
}
