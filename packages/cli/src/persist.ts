/**
 * The CLI's files, over @hubel/io: model.onnx (saveOnnx, atomic), checkpoint.onnx (io's
 * checkpoint: model + trainer state) and run.json beside it (the run's configuration and the
 * augmentation stream, so `--resume DIR` needs no other flags).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubelError, type Backend, type Model, type Registry, type RngState, type TrainerState } from '@hubel/core';
import { inspectOnnx, loadCheckpoint, loadOnnx, saveCheckpoint, saveOnnx, writeFileAtomic } from '@hubel/io';

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
}

export type RngSnapshot = { words: RngState; spare: number | null };

/** run.json: the configuration and the augmentation stream at the checkpoint. */
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

/** Writes DIR/checkpoint.onnx and DIR/run.json, each atomically. */
export async function writeCheckpoint(dir: string, model: Model, state: TrainerState, record: RunRecord): Promise<void> {
  await saveCheckpoint(join(dir, 'checkpoint.onnx'), model, state);
  await writeFileAtomic(join(dir, 'run.json'), new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
}

/** Reads DIR/run.json of a run to resume; errors say what is missing. */
export function readRunRecord(dir: string): RunRecord {
  const file = join(dir, 'run.json');
  if (!existsSync(join(dir, 'checkpoint.onnx'))) throw new HubelError('io', `--resume ${dir}: no checkpoint.onnx there`);
  if (!existsSync(file)) throw new HubelError('io', `--resume ${dir}: no run.json beside checkpoint.onnx`);
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
    if (!record.config || typeof record.config.model !== 'string') throw new Error('no config.model');
    return record;
  } catch (e) {
    throw new HubelError('format', `${file}: not a hubel run record (${(e as Error).message})`, { cause: e });
  }
}

/** The checkpointed model (on `backend`) and trainer state of the run in `dir`. */
export function readCheckpoint(dir: string, registry: Registry, backend: Backend): Promise<{ model: Model; state: TrainerState }> {
  return loadCheckpoint(join(dir, 'checkpoint.onnx'), { registry, backend });
}
