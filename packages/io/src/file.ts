import { HubelError, type Model } from '@hubel/core';
import { exportOnnx, type ExportOptions } from './export/export.js';
import { importOnnx, type ImportOptions } from './import/import.js';

/**
 * Writes `bytes` to `path` atomically: to a temporary file beside it, then renamed over it,
 * so a crash or a full disk never leaves a half-written file under `path`. Node only (the fs
 * module is loaded on first use, so browser bundles of this package do not need it).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await import('node:fs/promises');
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new HubelError('io', `cannot write '${path}': ${(e as Error).message}`, { cause: e });
  }
}

/** Exports `model` (see `exportOnnx`) and writes it to `path` atomically. Node only. */
export async function saveOnnx(path: string, model: Model, options: ExportOptions = {}): Promise<void> {
  await writeFileAtomic(path, await exportOnnx(model, options));
}

/** Reads `path` and imports it (see `importOnnx`); errors name the file. Node only. */
export async function loadOnnx(path: string, options: Omit<ImportOptions, 'file'>): Promise<Model> {
  return importOnnx(await readFileBytes(path), { ...options, file: path });
}

export async function readFileBytes(path: string): Promise<Uint8Array> {
  const fs = await import('node:fs/promises');
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    throw new HubelError('io', `cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
}
