/**
 * A directory of images with one sub-folder per class (the layout of torchvision's
 * ImageFolder and Keras' image_dataset_from_directory), optionally already split into
 * `train/`, `val/` (or `valid/`, `validation/`) and `test/` folders that each hold class
 * folders. PNG and JPEG files are decoded to float32 NCHW in [0, 1].
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { ArrayDataset, HubelError, Rng } from '@hubel/core';
import { decodeImage, resizeImage, type ResizeMethod } from './images.js';
import { checkDir, type ImageSet } from './mnist.js';

/** The parts an image folder is split into. */
export type ImageFolderPart = 'train' | 'validation' | 'test';

/**
 * `split-folders`: the directory holds `train/`, `val/` (or `valid/`, `validation/`) and/or
 * `test/`, each with class folders. `class-folders`: the directory holds the class folders
 * themselves and the parts are drawn from them by fractions.
 */
export type ImageFolderLayout = 'split-folders' | 'class-folders';

/** File extensions (lower case) taken as images; other files are skipped with a warning. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg', '.jpe', '.jfif']);

/** Folder names of the parts in the `split-folders` layout (matched ignoring case). */
export const SPLIT_FOLDER_NAMES: Readonly<Record<ImageFolderPart, readonly string[]>> = Object.freeze({
  train: Object.freeze(['train']),
  validation: Object.freeze(['val', 'valid', 'validation']),
  test: Object.freeze(['test']),
});

/** Default fractions of each class that go to training, validation and test in the `class-folders` layout. */
export const DEFAULT_SPLIT_FRACTIONS: readonly [number, number, number] = Object.freeze([0.8, 0.1, 0.1]) as readonly [number, number, number];

/** How a folder is listed and split (no image is read). */
export interface ScanImageFolderOptions {
  /**
   * Fractions [train, validation, test] of every class in the `class-folders` layout, each in
   * [0, 1], summing to 1, training > 0. Default [0.8, 0.1, 0.1]. Ignored for `split-folders`.
   */
  readonly fractions?: readonly [number, number, number];
  /** Seed of the per-class draw of the `class-folders` split. Default 0. */
  readonly seed?: number;
}

/** The image files of one part, in example order (class by class, paths sorted), with their labels. */
export interface ImageFolderFiles {
  /** Paths of the image files. */
  readonly files: readonly string[];
  /** Label of each file: an index into the class names. */
  readonly labels: Int32Array;
}

/** What `scanImageFolder` found: the layout, class names and the files of each part. */
export interface ImageFolderScan {
  /** The directory scanned. */
  readonly dir: string;
  /** Whether the parts are folders of their own or drawn from the class folders by fractions. */
  readonly layout: ImageFolderLayout;
  /** Class folder names, sorted by code unit (as Python's `sorted`); label i is `classNames[i]`. */
  readonly classNames: readonly string[];
  /** Files of each part that exists (a part with no files is absent). */
  readonly parts: Readonly<Partial<Record<ImageFolderPart, ImageFolderFiles>>>;
  /** For `split-folders`: the folder each part came from (e.g. `valid`). */
  readonly folders: Readonly<Partial<Record<ImageFolderPart, string>>>;
  /** For `class-folders`: the fractions and seed of the split. */
  readonly split?: { readonly fractions: readonly [number, number, number]; readonly seed: number };
  /** Files that are not images by their extension and were skipped (warned about by `readImageFolder`). */
  readonly skipped: readonly string[];
}

/** How images are decoded into datasets. */
export interface ImageFolderOptions extends ScanImageFolderOptions {
  /** 1: gray (BT.601 luma of colour images); 3: RGB (gray images replicated). Default 3. */
  readonly channels?: 1 | 3;
  /** [height, width] every image must have. Default: the size of the first image read. */
  readonly size?: readonly [number, number];
  /**
   * What to do with an image of another size: 'none' (default) rejects it with an error naming
   * the file and both sizes; 'area' or 'bilinear' resizes it (see `resizeImage`).
   */
  readonly resize?: ResizeMethod | 'none';
  /** Appended to the size-mismatch error (e.g. the command-line flag that turns resizing on). */
  readonly resizeHint?: string;
  /** Parts to decode. Default: all that exist. */
  readonly parts?: readonly ImageFolderPart[];
  /** At most this many images per part, taken from the classes in turn (so classes stay balanced). */
  readonly limit?: number;
  /** Largest image accepted, in megapixels. Default 40. */
  readonly maxMegapixels?: number;
  /** Receives warnings (skipped files). Default: none are reported. */
  readonly onWarning?: (message: string) => void;
}

/** A decoded image folder: class names and one `ImageSet` per decoded part. */
export interface ImageFolder {
  /** What the listing found (layout, files of every part, skipped files). */
  readonly scan: ImageFolderScan;
  /** Class folder names, sorted; label i is `classNames[i]`. */
  readonly classNames: readonly string[];
  /** The training part, when the folder has one and it was asked for; `files` lists the image of every example. */
  readonly train?: ImageSet;
  /** The validation part, when the folder has one and it was asked for. */
  readonly validation?: ImageSet;
  /** The test part, when the folder has one and it was asked for. */
  readonly test?: ImageSet;
}

const PARTS: readonly ImageFolderPart[] = ['train', 'validation', 'test'];
const MAX_DEPTH = 16;

/**
 * `'idx'` when `dir` holds IDX files (names containing `idx1`/`idx3`, as MNIST's), else
 * `'image-folder'`. Throws an `io` error unless `dir` is a directory.
 */
export async function dataDirKind(dir: string): Promise<'idx' | 'image-folder'> {
  checkDir(dir);
  const names = await readdir(dir);
  return names.some((n) => /idx\d/i.test(n)) ? 'idx' : 'image-folder';
}

/**
 * Lists an image folder without reading any image: detects the layout, the class names (the
 * class folders, sorted; taken from `train/` in the `split-folders` layout) and the files of each
 * part, and draws the `class-folders` split (stratified: each class is split by the fractions,
 * with a seeded shuffle per class, so the draw is deterministic and adding images to one class
 * leaves the others' split unchanged). Class folders may nest sub-folders; hidden entries
 * (`.name`) and `__MACOSX` are ignored. Throws `io` or `format` errors naming the folder for an
 * empty directory, fewer than 2 classes, a class folder with no images, split folders mixed with
 * other folders, or a class in `val/` or `test/` that `train/` lacks.
 */
export async function scanImageFolder(dir: string, options: ScanImageFolderOptions = {}): Promise<ImageFolderScan> {
  checkDir(dir);
  const fractions = checkFractions(options.fractions ?? DEFAULT_SPLIT_FRACTIONS);
  const seed = options.seed ?? 0;
  const skipped: string[] = [];
  const top = await listDir(dir);
  const splitDirs = new Map<ImageFolderPart, string>();
  for (const name of top.dirs) {
    const part = PARTS.find((p) => SPLIT_FOLDER_NAMES[p].includes(name.toLowerCase()));
    if (!part) continue;
    const prior = splitDirs.get(part);
    if (prior) throw new HubelError('format', `${dir}: both ${prior}/ and ${name}/ look like the ${part} folder; keep one`);
    splitDirs.set(part, name);
  }
  const imageFiles = (files: readonly string[]) => files.filter(isImageName);
  if (splitDirs.size > 0) {
    const others = top.dirs.filter((d) => ![...splitDirs.values()].includes(d));
    if (others.length) {
      throw new HubelError(
        'format',
        `${dir}: holds split folders (${[...splitDirs.values()].map((d) => `${d}/`).join(', ')}) and other folders (${others.slice(0, 5).map((d) => `${d}/`).join(', ')}${others.length > 5 ? ', …' : ''}); put every class folder inside train/, val/ and test/, or use class folders only`,
      );
    }
    skipped.push(...top.files.map((f) => join(dir, f)));
    const classesOf = new Map<ImageFolderPart, string[]>();
    for (const [part, name] of splitDirs) {
      const sub = join(dir, name);
      const listing = await listDir(sub);
      if (listing.dirs.length === 0) {
        const images = imageFiles(listing.files);
        throw new HubelError('format', `${sub}: no class folders${images.length ? ` (it holds ${images.length} images directly, e.g. ${images[0]}; put them in one sub-folder per class)` : ' (expected one sub-folder per class holding PNG or JPEG files)'}`);
      }
      skipped.push(...listing.files.map((f) => join(sub, f)));
      classesOf.set(part, sortNames(listing.dirs));
    }
    const trainClasses = classesOf.get('train');
    const classNames = trainClasses ?? sortNames([...new Set([...classesOf.values()].flat())]);
    if (trainClasses) {
      for (const [part, names] of classesOf) {
        const extra = names.filter((n) => !trainClasses.includes(n));
        if (extra.length) {
          throw new HubelError('format', `${join(dir, splitDirs.get(part)!)}: class${extra.length > 1 ? 'es' : ''} ${extra.map((n) => `'${n}'`).join(', ')} ${extra.length > 1 ? 'are' : 'is'} not in ${join(dir, splitDirs.get('train')!)} (its classes: ${trainClasses.join(', ')}); every class needs training images`);
        }
      }
    }
    checkClassCount(classNames, trainClasses ? join(dir, splitDirs.get('train')!) : dir);
    const parts: Partial<Record<ImageFolderPart, ImageFolderFiles>> = {};
    for (const [part, name] of splitDirs) {
      const files: string[] = [];
      const labels: number[] = [];
      for (const cls of classesOf.get(part)!) {
        const found = await classImages(join(dir, name, cls), skipped);
        for (const f of found) {
          files.push(f);
          labels.push(classNames.indexOf(cls));
        }
      }
      parts[part] = orderByLabel(files, labels);
    }
    const folders = Object.fromEntries(splitDirs) as Partial<Record<ImageFolderPart, string>>;
    return { dir, layout: 'split-folders', classNames, parts, folders, skipped };
  }

  if (top.dirs.length === 0) {
    const images = imageFiles(top.files);
    if (top.files.length === 0) throw new HubelError('io', `${dir} is empty (expected one sub-folder per class holding PNG or JPEG files)`);
    throw new HubelError(
      'format',
      `${dir}: no class folders (expected one sub-folder per class holding PNG or JPEG files; found ${top.files.length} file${top.files.length > 1 ? 's' : ''}${images.length ? `, ${images.length} of them images, e.g. ${images[0]}: put them in one sub-folder per class` : `, e.g. ${top.files[0]}`})`,
    );
  }
  skipped.push(...top.files.map((f) => join(dir, f)));
  const classNames = sortNames(top.dirs);
  checkClassCount(classNames, dir);
  const byPart: Record<ImageFolderPart, { files: string[]; labels: number[] }> = { train: { files: [], labels: [] }, validation: { files: [], labels: [] }, test: { files: [], labels: [] } };
  for (let c = 0; c < classNames.length; c++) {
    const files = await classImages(join(dir, classNames[c]), skipped);
    const n = files.length;
    let nTest = Math.round(n * fractions[2]);
    let nVal = Math.round(n * fractions[1]);
    // Keep at least one training image per class.
    while (nTest + nVal > n - 1 && (nTest > 0 || nVal > 0)) {
      if (nVal >= nTest && nVal > 0) nVal--;
      else nTest--;
    }
    const order = new Rng(classSeed(seed, classNames[c])).shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const partOf = new Uint8Array(n); // 0 train, 1 validation, 2 test
    for (let k = 0; k < nTest; k++) partOf[order[k]] = 2;
    for (let k = nTest; k < nTest + nVal; k++) partOf[order[k]] = 1;
    for (let i = 0; i < n; i++) {
      const p = byPart[PARTS[partOf[i]]];
      p.files.push(files[i]);
      p.labels.push(c);
    }
  }
  const parts: Partial<Record<ImageFolderPart, ImageFolderFiles>> = {};
  for (const part of PARTS) if (byPart[part].files.length) parts[part] = { files: byPart[part].files, labels: Int32Array.from(byPart[part].labels) };
  return { dir, layout: 'class-folders', classNames, parts, folders: {}, split: { fractions, seed }, skipped };
}

/**
 * Reads an image folder (a directory, or what `scanImageFolder` found in one) into datasets:
 * images [N, C, H, W] float32 in [0, 1] (`channels` gray or RGB), labels int32 indexing
 * `classNames`. Images of another size than `size` (default: the first image's) are rejected
 * with an error naming the file and both sizes, or resized when `resize` is 'area' or
 * 'bilinear'. Files without a PNG/JPEG extension are skipped and reported once through
 * `onWarning`; a file with such an extension that does not decode is a `format` error naming it.
 */
export async function readImageFolder(dirOrScan: string | ImageFolderScan, options: ImageFolderOptions = {}): Promise<ImageFolder> {
  const scan = typeof dirOrScan === 'string' ? await scanImageFolder(dirOrScan, options) : dirOrScan;
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new HubelError('attribute', `readImageFolder: channels must be 1 or 3, found ${channels}`);
  const resize = options.resize ?? 'none';
  if (resize !== 'none' && resize !== 'area' && resize !== 'bilinear') throw new HubelError('attribute', `readImageFolder: resize must be 'none', 'area' or 'bilinear', found '${resize}'`);
  if (options.size && !options.size.every((d) => Number.isInteger(d) && d >= 1)) throw new HubelError('attribute', `readImageFolder: size must be [height, width] in positive integers, found [${options.size.join(', ')}]`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1)) throw new HubelError('attribute', `readImageFolder: limit must be a positive integer, found ${options.limit}`);
  if (scan.skipped.length && options.onWarning) {
    const shown = scan.skipped.slice(0, 5).map((f) => relative(scan.dir, f) || f);
    options.onWarning(
      `${scan.dir}: skipped ${scan.skipped.length} file${scan.skipped.length > 1 ? 's' : ''} that ${scan.skipped.length > 1 ? 'are' : 'is'} not PNG or JPEG by extension (${IMAGE_EXTENSIONS.join(', ')}): ${shown.join(', ')}${scan.skipped.length > shown.length ? `, and ${scan.skipped.length - shown.length} more` : ''}`,
    );
  }
  let size = options.size ? ([options.size[0], options.size[1]] as [number, number]) : undefined;
  let sizeFrom = '';
  const wanted = options.parts ?? PARTS;
  const out: { -readonly [K in ImageFolderPart]?: ImageSet } = {};
  for (const part of PARTS) {
    const files = scan.parts[part];
    if (!files || !wanted.includes(part)) continue;
    const pick = options.limit !== undefined && options.limit < files.files.length ? roundRobin(files.labels, scan.classNames.length, options.limit) : undefined;
    const list = pick ? Array.from(pick, (i) => files.files[i]) : files.files;
    const labels = pick ? Int32Array.from(pick, (i) => files.labels[i]) : Int32Array.from(files.labels);
    let x: Float32Array | undefined;
    let plane = 0;
    for (let i = 0; i < list.length; i += 32) {
      const chunk = list.slice(i, i + 32);
      const bytes = await Promise.all(chunk.map((f) => readImageFile(f)));
      for (let k = 0; k < chunk.length; k++) {
        const file = chunk[k];
        const img = decodeImage(bytes[k], file, { channels, maxMegapixels: options.maxMegapixels });
        if (!size) {
          size = [img.height, img.width];
          sizeFrom = `the first image (${relative(scan.dir, file)})`;
        }
        let data = img.data;
        if (img.height !== size[0] || img.width !== size[1]) {
          if (resize === 'none') {
            throw new HubelError(
              'shape',
              `${file}: image is ${img.height}×${img.width} (height×width), expected ${size[0]}×${size[1]}${sizeFrom ? ` like ${sizeFrom}` : ''}; ${options.resizeHint ?? "set resize: 'area' or 'bilinear' to resize images"}`,
            );
          }
          data = resizeImage(img.data, channels, img.height, img.width, size[0], size[1], resize);
        }
        if (!x) {
          plane = channels * size[0] * size[1];
          x = new Float32Array(list.length * plane);
        }
        x.set(data, (i + k) * plane);
      }
    }
    out[part] = { dataset: new ArrayDataset(x!, [channels, size![0], size![1]], labels, [], scan.classNames.length), classNames: scan.classNames, files: list };
  }
  return { scan, classNames: scan.classNames, ...out };
}

/** Parses "0.8,0.1,0.1" (training, validation, test) into checked fractions; throws an `attribute` error saying what is wrong. */
export function parseSplitFractions(text: string): [number, number, number] {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.length !== 3 || parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) {
    throw new HubelError('attribute', `split '${text}': expected three fractions TRAIN,VAL,TEST such as 0.8,0.1,0.1`);
  }
  return checkFractions(values as [number, number, number]);
}

function checkFractions(f: readonly number[]): [number, number, number] {
  const text = f.join(',');
  if (f.length !== 3 || f.some((v) => !(v >= 0 && v <= 1))) throw new HubelError('attribute', `split ${text}: expected three fractions TRAIN,VAL,TEST, each in [0, 1]`);
  if (!(f[0] > 0)) throw new HubelError('attribute', `split ${text}: the training fraction must be positive`);
  const sum = f[0] + f[1] + f[2];
  if (Math.abs(sum - 1) > 1e-6) throw new HubelError('attribute', `split ${text}: the fractions must sum to 1, found ${+sum.toFixed(6)}`);
  return [f[0], f[1], f[2]];
}

function checkClassCount(classNames: readonly string[], where: string): void {
  if (classNames.length < 2) throw new HubelError('format', `${where}: found ${classNames.length} class folder (${classNames.join(', ')}); a classifier needs at least 2 classes, one sub-folder each`);
}

/** Visible entries of a directory: sub-directories (symbolic links followed) and other files, sorted. */
async function listDir(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new HubelError('io', `cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const dirs: string[] = [];
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === '__MACOSX' || e.name === 'Thumbs.db' || e.name === 'desktop.ini') continue;
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) {
      try {
        isDir = (await stat(join(dir, e.name))).isDirectory();
      } catch {
        isDir = false;
      }
    }
    (isDir ? dirs : files).push(e.name);
  }
  return { dirs: sortNames(dirs), files: sortNames(files) };
}

/** Image files under a class folder (recursively), sorted by path; other files go to `skipped`. Throws when there is none. */
async function classImages(dir: string, skipped: string[]): Promise<string[]> {
  const found: string[] = [];
  const others: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new HubelError('format', `${d}: folders nested more than ${MAX_DEPTH} deep (a symbolic-link loop?)`);
    const { dirs, files } = await listDir(d);
    for (const f of files) (isImageName(f) ? found : others).push(join(d, f));
    for (const sub of dirs) await walk(join(d, sub), depth + 1);
  };
  await walk(dir, 0);
  skipped.push(...others);
  if (found.length === 0) {
    throw new HubelError('format', `${dir}: class folder '${basename(dir)}' holds no PNG or JPEG images${others.length ? ` (found ${others.length} other file${others.length > 1 ? 's' : ''}, e.g. ${relative(dir, others[0])})` : ' (it is empty)'}`);
  }
  return sortNames(found);
}

async function readImageFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new HubelError('io', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
}

function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/** Stable order: by label, then by path (already sorted within a class). */
function orderByLabel(files: string[], labels: number[]): ImageFolderFiles {
  const ix = files.map((_, i) => i).sort((a, b) => labels[a] - labels[b] || a - b);
  return { files: ix.map((i) => files[i]), labels: Int32Array.from(ix, (i) => labels[i]) };
}

/** Indices of `limit` examples taken from the classes in turn (each class in its file order), ascending. */
function roundRobin(labels: Int32Array, classes: number, limit: number): Int32Array {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((y, i) => byClass[y].push(i));
  const out: number[] = [];
  for (let k = 0; out.length < limit; k++) {
    for (const ix of byClass) if (k < ix.length && out.length < limit) out.push(ix[k]);
  }
  return Int32Array.from(out).sort();
}

/** A seed per class: the run's seed mixed with an FNV-1a hash of the class name. */
function classSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return (h ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
}

const sortNames = (names: readonly string[]): string[] => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
