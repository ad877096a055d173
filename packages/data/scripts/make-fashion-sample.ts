/**
 * Builds the bundled Fashion-MNIST sample (packages/data/sample/fashion-mnist/): a
 * class-balanced subset of the official IDX files, drawn with a fixed seed, written as
 * gzipped IDX in the official file names.
 *
 *   node --conditions=@hubel/source --import tsx packages/data/scripts/make-fashion-sample.ts \
 *     [SOURCE_DIR=/usr/share/datasets/fashion-mnist] [OUT_DIR=packages/data/sample/fashion-mnist]
 *
 * SOURCE_DIR comes from Debian's `dataset-fashion-mnist` package or the official download.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { balancedSample, encodeIdx, idxFileNames, readIdx, FASHION_MNIST_CLASSES, type Split } from '../src/index.js';

const TRAIN_PER_CLASS = 400;
const TEST_PER_CLASS = 100;
const SEED = 20170828; // Fashion-MNIST's arXiv date

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = process.argv[3] ?? fileURLToPath(new URL('../sample/fashion-mnist/', import.meta.url));
mkdirSync(out, { recursive: true });

async function subset(split: Split, perClass: number, seed: number): Promise<void> {
  const [imagesName] = idxFileNames(split, 'images');
  const [labelsName] = idxFileNames(split, 'labels');
  const images = await readIdx(join(source, imagesName), { rank: 3, type: 'ubyte' });
  const labels = await readIdx(join(source, labelsName), { rank: 1, type: 'ubyte' });
  const pick = balancedSample(labels.data, FASHION_MNIST_CLASSES.length, perClass, seed);
  const [, h, w] = images.dims;
  const x = new Uint8Array(pick.length * h * w);
  const y = new Uint8Array(pick.length);
  pick.forEach((i, k) => {
    x.set(images.data.subarray(i * h * w, (i + 1) * h * w) as Uint8Array, k * h * w);
    y[k] = labels.data[i];
  });
  write(imagesName, encodeIdx(x, [pick.length, h, w], { gzip: true }));
  write(labelsName, encodeIdx(y, [pick.length], { gzip: true }));
  console.log(`${split}: ${pick.length} of ${labels.dims[0]} examples (${perClass} per class, seed ${seed})`);
}

function write(name: string, bytes: Uint8Array): void {
  const tmp = join(out, `.${name}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(out, name));
}

await subset('train', TRAIN_PER_CLASS, SEED);
await subset('test', TEST_PER_CLASS, SEED + 1);
write('labels.txt', new TextEncoder().encode(`${FASHION_MNIST_CLASSES.join('\n')}\n`));
