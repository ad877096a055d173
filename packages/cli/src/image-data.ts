/**
 * `--data DIR` when DIR is a folder of PNG/JPEG images (one sub-folder per class, optionally
 * inside train/ val/ test/): @hubel/data reads it; this wires the flags and the model's input
 * in, and reads and writes what model.onnx records about the folder (class names, the split,
 * the resize method).
 */
import { ArrayDataset, HubelError, fmtShape, type Model } from '@hubel/core';
import { dataDirKind, loadMnist, parseSplitFractions, readImageFolder, scanImageFolder, trainValidationSplit, type ImageFolderPart, type ImageFolderScan, type ImageSet, type ResizeMethod, type ScanImageFolderOptions } from '@hubel/data';
import { checkModelInput } from './model-source.js';

/** `--resize`: what to do with images that are not the model's input size. */
export type ResizeChoice = 'none' | ResizeMethod;

/** metadata_props key holding the class-folder split of the training run: JSON `{ fractions, seed }`. */
export const SPLIT_KEY = 'hubel.split';
/** metadata_props key holding the `--resize` method of the training run, when not 'none'. */
export const RESIZE_KEY = 'hubel.resize';

/** Channels and, when the model fixes it, [height, width] of the images a model takes. */
export interface ImageTarget {
  /** 1 (gray) or 3 (RGB). */
  readonly channels: 1 | 3;
  /** [height, width], or undefined when the model's input has symbolic sizes (then the first image's size is used). */
  readonly size?: readonly [number, number];
}

/** The image format a model input [C, H, W] asks for; throws for channel counts other than 1 and 3. */
export function imageTarget(shape: readonly (number | null)[], source: string): ImageTarget {
  const [c, h, w] = shape;
  if (shape.length !== 3 || (c !== 1 && c !== 3)) {
    throw new HubelError('shape', `${source} takes input ${fmtShape([null, ...shape])}; image folders give 1-channel (gray) or 3-channel (RGB) images [N, C, H, W]`);
  }
  return { channels: c, size: typeof h === 'number' && typeof w === 'number' ? [h, w] : undefined };
}

/** The input [C, H, W] of a loaded model. */
export function modelImageShape(model: Model): readonly (number | null)[] {
  return model.inputs[0].shape.slice(1);
}

const resizeHint = (t: ImageTarget) => `the model takes ${t.size ? `${t.size[0]}×${t.size[1]}` : 'one size of'} images: pass --resize area (area average, for shrinking) or --resize bilinear (for enlarging) to resize every image${t.size ? ` to ${t.size[0]}×${t.size[1]}` : ''}, or resize the files`;

/** The training, validation and test data `hubel train` uses from an image folder. */
export interface FolderTrainingData {
  /** Training examples. */
  readonly train: ArrayDataset;
  /** Validation examples: val/ (or valid/, validation/), the validation fraction, or held out of train/ by `--validation`. */
  readonly validation?: ArrayDataset;
  /** Test examples, when the folder has a test part. */
  readonly test?: ImageSet;
  /** Class folder names, sorted: label i is `classNames[i]`. */
  readonly classNames: readonly string[];
  /** How the folder was read, for the `data:` line. */
  readonly summary: string;
  /** metadata_props for model.onnx, so `hubel eval` reads the folder the same way. */
  readonly metadata: Record<string, string>;
}

/** Options of `loadFolderForTraining`, from `hubel train`'s flags. */
export interface FolderTrainingOptions {
  /** What the model takes. */
  readonly target: ImageTarget;
  /** `--split` as given (undefined: not given, default fractions). */
  readonly split?: string;
  /** True when `--validation` was given on the command line. */
  readonly validationGiven: boolean;
  /** `--validation` (or its default): held out of train/ when there is no val/ folder. */
  readonly validation: number;
  /** `--seed`: the class-folder split and the validation hold-out. */
  readonly seed: number;
  /** `--resize`. */
  readonly resize: ResizeChoice;
  /** `--limit`: at most this many images per part. */
  readonly limit?: number;
  /** Prints a line on stderr. */
  readonly warn: (message: string) => void;
  /** The command the flags belong to, for errors; default 'train'. */
  readonly command?: string;
  /** Ends the note printed when the folder has no test images; default '; reporting validation error only'. */
  readonly noTestNote?: string;
}

/**
 * Reads an image folder for training. `--split` applies to a folder of class folders only and
 * `--validation` to data without validation images of its own; each is refused by name where it
 * has no meaning.
 */
export async function loadFolderForTraining(dir: string, o: FolderTrainingOptions): Promise<FolderTrainingData> {
  const command = o.command ?? 'train';
  const fractions = o.split === undefined ? undefined : splitFractions(o.split, command);
  const scan = await scan_(dir, { fractions, seed: o.seed });
  if (scan.layout === 'split-folders') {
    if (fractions) throw new HubelError('attribute', `hubel ${command}: --split applies to a folder of class folders; ${dir} is already split into ${folderList(scan)}`);
    if (scan.folders.validation && o.validationGiven) throw new HubelError('attribute', `hubel ${command}: --validation holds images out of train/, but ${dir} has a ${scan.folders.validation}/ folder of validation images`);
    if (!scan.folders.train) throw new HubelError('format', `${dir}: no train/ folder (found ${folderList(scan)}); training needs train/ with one sub-folder per class`);
  } else if (o.validationGiven) {
    throw new HubelError('attribute', `hubel ${command}: --validation does not apply to a folder of class folders (${dir}); set the training, validation and test fractions with --split, e.g. --split 0.8,0.1,0.1`);
  }
  const folder = await readImageFolder(scan, { channels: o.target.channels, size: o.target.size, resize: o.resize, resizeHint: resizeHint(o.target), limit: o.limit, onWarning: (m) => o.warn(`warning: ${m}`) });
  const trainSet = folder.train!;
  let train = trainSet.dataset;
  let validation = folder.validation?.dataset;
  if (!validation && scan.layout === 'split-folders' && o.validation > 0) {
    ({ train, validation } = trainValidationSplit(train, { validation: o.validation, seed: o.seed }));
  }
  if (!folder.test) o.warn(`note: ${dir} has no test images (${scan.layout === 'split-folders' ? 'no test/ folder' : 'test fraction 0'})${o.noTestNote ?? '; reporting validation error only'}`);
  const metadata: Record<string, string> = {};
  if (scan.split) metadata[SPLIT_KEY] = JSON.stringify(scan.split);
  if (o.resize !== 'none') metadata[RESIZE_KEY] = o.resize;
  const how = scan.split ? `class folders split ${scan.split.fractions.join('/')} with seed ${scan.split.seed}` : `image folders ${folderList(scan)}`;
  return { train, validation, test: folder.test, classNames: folder.classNames, summary: ` (${how}, ${o.target.channels === 1 ? 'gray' : 'RGB'})`, metadata };
}

/** The examples a command that does its own validation split (`hubel search`) takes from its `--data`. */
export interface PooledTrainingData {
  /** Every training example: IDX train-* files; an image folder's training and validation parts together. */
  readonly pool: ArrayDataset;
  /** Test examples: IDX t10k-* files (read on demand), an image folder's test part; undefined when there are none. */
  readonly test: () => Promise<ArrayDataset | undefined>;
  /** Class names: label i is `classNames[i]`. */
  readonly classNames: readonly string[];
  /** How the data was read, for the `data:` line (empty for IDX files). */
  readonly summary: string;
}

/**
 * `--data DIR` for `hubel search`: MNIST-format IDX files or an image folder, read as `hubel
 * train` reads them (`loadFolderForTraining`, with no validation hold-out: the caller makes its
 * own folds). An image folder's training and validation parts (train/ and val/, or the training
 * and validation fractions of `--split`) are pooled; its test part stays out. `--split` and
 * `--resize` apply to image folders only, and are refused by name for IDX files.
 */
export async function loadPooledTrainingData(dir: string, o: Omit<FolderTrainingOptions, 'validation' | 'validationGiven'> & { readonly command: string }): Promise<PooledTrainingData> {
  if ((await dataDirKind(dir)) === 'idx') {
    for (const [flag, given] of [['split', o.split !== undefined], ['resize', o.resize !== 'none']] as const) {
      if (given) throw new HubelError('attribute', `hubel ${o.command}: --${flag} applies to image folders; ${dir} holds IDX files`);
    }
    const set = await loadMnist(dir, { split: 'train', limit: o.limit });
    return {
      pool: set.dataset,
      classNames: set.classNames,
      summary: '',
      test: async () => {
        try {
          return (await loadMnist(dir, { split: 'test', limit: o.limit })).dataset;
        } catch (e) {
          if (e instanceof HubelError && e.code === 'io' && /no test/.test(e.message)) return undefined;
          throw e;
        }
      },
    };
  }
  const folder = await loadFolderForTraining(dir, { ...o, validation: 0, validationGiven: false });
  const parts = [folder.train, ...(folder.validation ? [folder.validation] : [])];
  const pool = parts.length === 1 ? parts[0] : new ArrayDataset(concat(parts.map((d) => d.x as Float32Array)), parts[0].inputShape, concat(parts.map((d) => d.y as Int32Array)), [], folder.classNames.length);
  const test = folder.test?.dataset;
  return { pool, classNames: folder.classNames, summary: folder.summary, test: async () => test };
}

/** `hubel eval --split` for an image folder. */
export type EvalPart = 'test' | 'val' | 'train' | 'all';

/** Options of `loadFolderForEval`, from `hubel eval`'s flags. */
export interface FolderEvalOptions {
  /** Which part to evaluate. */
  readonly part: EvalPart;
  /** `--resize` as given; default: the training run's (model.onnx's `hubel.resize`), else 'none'. */
  readonly resize?: ResizeChoice;
  /** `--limit`. */
  readonly limit?: number;
  /** Prints a line on stderr. */
  readonly warn: (message: string) => void;
}

/**
 * Reads the part of an image folder that `hubel eval` scores, with the labels mapped to the
 * model's classes by name (model.onnx's `hubel.labels`), so a folder whose classes are a subset
 * of the model's, or a model whose labels are in another order, is scored correctly. A folder of
 * class folders is split as the training run recorded it (`hubel.split`; default 0.8,0.1,0.1
 * with seed 1, `hubel train`'s defaults). Returns the dataset and the class names of its labels.
 */
export async function loadFolderForEval(dir: string, model: Model, file: string, o: FolderEvalOptions): Promise<{ dataset: ArrayDataset; names: readonly string[] }> {
  const target = imageTarget(modelImageShape(model), file);
  const recorded = recordedSplit(model.metadata[SPLIT_KEY], file);
  const scan = await scan_(dir, recorded ?? { seed: 1 });
  if (scan.layout === 'class-folders' && !recorded && o.part !== 'all') {
    o.warn(`note: ${file} records no split of a class folder; evaluating the ${o.part} part of the default split ${scan.split!.fractions.join(',')} with seed 1 (--split all evaluates every image)`);
  }
  const parts: ImageFolderPart[] = o.part === 'all' ? ['train', 'validation', 'test'] : [o.part === 'val' ? 'validation' : o.part];
  const found = parts.filter((p) => scan.parts[p]);
  if (!found.length) {
    const why = scan.layout === 'split-folders' ? `no ${o.part}/ folder (found ${folderList(scan)})` : `its ${o.part} fraction is 0 (split ${scan.split!.fractions.join(',')})`;
    throw new HubelError('format', `${dir}: no ${o.part} images to evaluate: ${why}; choose another with --split`);
  }
  // Map the folder's classes to the model's by name before any image is decoded.
  const modelNames = labelsOf(model.metadata['hubel.labels']);
  let map: number[] | undefined;
  if (modelNames) {
    map = scan.classNames.map((n) => modelNames.indexOf(n));
    const unknown = scan.classNames.filter((_, i) => map![i] < 0);
    if (unknown.length) {
      throw new HubelError('format', `${dir} has class${unknown.length > 1 ? 'es' : ''} ${unknown.map((n) => `'${n}'`).join(', ')} that ${file} does not know (its classes: ${modelNames.join(', ')})`);
    }
  }
  const resize = o.resize ?? ((model.metadata[RESIZE_KEY] as ResizeChoice | undefined) || 'none');
  const folder = await readImageFolder(scan, { channels: target.channels, size: target.size, resize, resizeHint: resizeHint(target), limit: o.limit, parts: found, onWarning: (m) => o.warn(`warning: ${m}`) });
  const sets = found.map((p) => folder[p]!.dataset);
  const x = concat(sets.map((d) => d.x as Float32Array));
  const y = concat(sets.map((d) => d.y as Int32Array));
  let names: readonly string[] = folder.classNames;
  if (modelNames && map) {
    for (let i = 0; i < y.length; i++) y[i] = map[y[i]];
    names = modelNames;
  }
  return { dataset: new ArrayDataset(x, sets[0].inputShape, y, [], names.length), names };
}

/** Class names from model.onnx's `hubel.labels` (a JSON array of strings), or undefined. */
export function labelsOf(json: string | undefined): string[] | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Parses `--split F,F,F`; errors name the command and flag. */
export function splitFractions(text: string, command: string): [number, number, number] {
  try {
    return parseSplitFractions(text);
  } catch (e) {
    throw new HubelError('attribute', `hubel ${command}: --${(e as Error).message}`, { cause: e });
  }
}

/** scanImageFolder, with errors about a folder without class folders also naming the other format `--data` takes. */
async function scan_(dir: string, options: ScanImageFolderOptions): Promise<ImageFolderScan> {
  try {
    return await scanImageFolder(dir, options);
  } catch (e) {
    if (e instanceof HubelError && (e.message.startsWith(`${dir}: no class folders`) || e.message.startsWith(`${dir} is empty`))) {
      throw new HubelError(e.code, `${e.message}; --data also takes a directory of MNIST-format IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-…)`, { cause: e });
    }
    throw e;
  }
}

function recordedSplit(json: string | undefined, file: string): { fractions: [number, number, number]; seed: number } | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as { fractions?: unknown; seed?: unknown };
    if (!Array.isArray(v.fractions) || v.fractions.length !== 3 || typeof v.seed !== 'number') throw new Error('expected { fractions: [3 numbers], seed }');
    return { fractions: parseSplitFractions(v.fractions.join(',')), seed: v.seed };
  } catch (e) {
    throw new HubelError('format', `${file}: malformed '${SPLIT_KEY}' metadata (${(e as Error).message})`, { cause: e });
  }
}

function folderList(scan: ImageFolderScan): string {
  return (['train', 'validation', 'test'] as const)
    .map((p) => scan.folders[p])
    .filter(Boolean)
    .map((f) => `${f}/`)
    .join(', ');
}

function concat<T extends Float32Array | Int32Array>(parts: T[]): T {
  if (parts.length === 1) return parts[0];
  const out = new (parts[0].constructor as new (n: number) => T)(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The first `limit` test images of `dir` (all when undefined) in the model's input format:
 * IDX t10k-* files, or the test part of an image folder (warnings go to `warn`). Throws when
 * the images do not fit the model's input, naming `source`.
 */
export async function loadTestImages(dir: string, model: Model, source: string, limit: number | undefined, warn: (message: string) => void): Promise<ArrayDataset> {
  if ((await dataDirKind(dir)) === 'idx') {
    const set = await loadMnist(dir, { split: 'test', limit });
    checkModelInput(model, set.dataset.inputShape, source);
    return set.dataset;
  }
  const { dataset } = await loadFolderForEval(dir, model, source, { part: 'test', limit, warn });
  checkModelInput(model, dataset.inputShape, source);
  return dataset;
}
