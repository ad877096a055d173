/**
 * The CLI's files, over @hubel/io: model.onnx (saveOnnx, atomic) and checkpoint.onnx (io's
 * checkpoint: model + trainer state, plus the run record — configuration and augmentation
 * stream — in its metadata_props, so one atomic file is everything `--resume DIR` needs).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubelError, type Backend, type Model, type Registry, type RngState, type TrainerState } from '@hubel/core';
import { decodeModel, inspectOnnx, loadCheckpoint, loadOnnx, saveCheckpoint, saveOnnx } from '@hubel/io';

/** What `hubel train` was asked to do. */
export interface RunConfig {
  readonly model: string;
  readonly data: string;
  readonly epochs: number;
  readonly batch: number;
  readonly optimizer: 'adam' | 'sgd';
  readonly lr: number;
  readonly schedule: 'cosine' | 'step' | 'none';
  readonly weightDecay: number;
  readonly seed: number;
  readonly validation: number;
  readonly augment: 'none' | 'flip' | 'crop' | 'flip+crop';
  readonly limit?: number;
  /** Hidden units / dropout ratio of the zoo model, when set (`--hidden`, `--dropout`). */
  readonly hidden?: number;
  readonly dropout?: number;
  /** S2 prototypes of the zoo model, when set (`--prototypes`, hmax). */
  readonly prototypes?: number;
  /** `--split TRAIN,VAL,TEST` as given, for a folder of class folders (absent: the default fractions). */
  readonly split?: string;
  /** `--resize` for image folders: 'none' rejects images of another size than the model's input. */
  readonly resize?: 'none' | 'area' | 'bilinear';
}

export type RngSnapshot = { words: RngState; spare: number | null };

/** metadata_props key of the run record inside checkpoint.onnx. */
export const RUN_KEY = 'hubel.cli.run';

/** The run record: the configuration and the augmentation stream at the checkpoint. */
export interface RunRecord {
  readonly config: RunConfig;
  readonly augmentRng?: RngSnapshot;
}

/** Reads an .onnx model onto `backend`; io's errors name the file. */
export function readModelFile(path: string, registry: Registry, backend: Backend): Promise<Model> {
  return loadOnnx(path, { registry, backend });
}

/** Writes the model as ONNX with `metadata` in metadata_props, atomically (never a partial file). */
export function writeModelFile(path: string, model: Model, metadata: Record<string, string>): Promise<void> {
  return saveOnnx(path, model, { metadata });
}

/** io's text description of an .onnx file (opset, inputs/outputs, nodes, parameters). */
export async function describeModelFile(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new HubelError('io', `cannot read '${path}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return inspectOnnx(bytes, path);
}

/** Writes DIR/checkpoint.onnx (model, trainer state and run record in one file), atomically. */
export async function writeCheckpoint(dir: string, model: Model, state: TrainerState, record: RunRecord): Promise<void> {
  await saveCheckpoint(join(dir, 'checkpoint.onnx'), model, state, { metadata: { [RUN_KEY]: JSON.stringify(record) } });
}

/** Reads the run record of the run in `dir` from its checkpoint; errors say what is missing. */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  const file = join(dir, 'checkpoint.onnx');
  if (!existsSync(file)) throw new HubelError('io', `--resume ${dir}: no checkpoint.onnx there`);
  const proto = decodeModel(new Uint8Array(await readFile(file)), file);
  const text = proto.metadata[RUN_KEY];
  if (text === undefined) throw new HubelError('format', `${file}: no run record (metadata_props '${RUN_KEY}'); was it written by hubel train?`);
  try {
    const record = JSON.parse(text) as RunRecord;
    if (!record.config || typeof record.config.model !== 'string') throw new Error('no config.model');
    return record;
  } catch (e) {
    throw new HubelError('format', `${file}: malformed run record in '${RUN_KEY}' (${(e as Error).message})`, { cause: e });
  }
}

/** The checkpointed model (on `backend`) and trainer state of the run in `dir`. */
export function readCheckpoint(dir: string, registry: Registry, backend: Backend): Promise<{ model: Model; state: TrainerState }> {
  return loadCheckpoint(join(dir, 'checkpoint.onnx'), { registry, backend });
}
