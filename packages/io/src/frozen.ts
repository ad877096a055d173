import { HubelError } from '@hubel/core';

/**
 * The `metadata_props` entry listing a model's frozen parameters: a JSON array of parameter
 * keys (`node.param`). ONNX has no notion of a frozen initializer, so the exporter writes
 * frozen parameters as ordinary initializers (every engine runs them) and records which ones
 * they are here; `importOnnx` freezes them again.
 */
export const FROZEN_KEY = 'hubel.frozen';

/**
 * The parameter keys listed under {@link FROZEN_KEY} in a file's metadata (empty when absent).
 * Throws HubelError 'format' naming the file when the entry is not a JSON array of strings.
 */
export function readFrozenKeys(metadata: Readonly<Record<string, string>>, file: string): string[] {
  const text = metadata[FROZEN_KEY];
  if (text === undefined) return [];
  let keys: unknown;
  try {
    keys = JSON.parse(text);
  } catch (e) {
    throw new HubelError('format', `${file}: metadata_props '${FROZEN_KEY}' is not JSON (${(e as Error).message})`, { cause: e });
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw new HubelError('format', `${file}: metadata_props '${FROZEN_KEY}' must be a JSON array of parameter keys ("node.param"), found ${text.slice(0, 80)}`);
  }
  return keys as string[];
}
