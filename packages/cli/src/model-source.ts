import { existsSync } from 'node:fs';
import { HubelError, fmtShape, type Backend, type Model, type Registry } from '@hubel/core';
import type { ZooKnob } from '@hubel/models';
import { readModelFile } from './persist.js';
import { cliZooEntry } from './runtime.js';

export interface ModelSourceOptions {
  readonly registry: Registry;
  readonly backend: Backend;
  /** Image shape [C, H, W] of the data the model will see. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly seed: number;
  /** Size options for a zoo model (`--hidden`, `--dropout`, `--prototypes`); only models that have them take them. */
  readonly knobs?: Partial<Record<ZooKnob, number>>;
  /** The model of a file `spec`, when the caller has read it already (it is then not read again). */
  readonly loaded?: Model;
}

/** True when `--model` names a file rather than a zoo entry. */
export function isModelFile(spec: string): boolean {
  return spec.endsWith('.onnx') || existsSync(spec);
}

/**
 * A zoo model built for the data's image shape and class count, or a model read from an
 * .onnx file (whose input shape must then match the data). Errors say which model cannot
 * take which images.
 */
export async function resolveModel(spec: string, o: ModelSourceOptions): Promise<Model> {
  checkKnobs(spec, o.knobs ?? {});
  if (isModelFile(spec)) {
    const model = o.loaded ?? (await readModelFile(spec, o.registry, o.backend));
    try {
      checkModelInput(model, o.inputShape, spec);
    } catch (e) {
      model.dispose();
      throw e;
    }
    const scores = model.valueInfo.get(model.outputs[0])?.shape;
    if (scores && scores.length === 2 && scores[1] !== null && scores[1] !== o.classes) {
      model.dispose();
      throw new HubelError('shape', `${spec} outputs ${scores[1]} class scores, but the data has ${o.classes} classes`);
    }
    return model;
  }
  const entry = cliZooEntry(spec);
  const [c, h, w] = o.inputShape;
  try {
    return entry.build({ registry: o.registry, inputShape: [c, h, w], classes: o.classes, ...(o.knobs as object) }).build({ backend: o.backend, seed: o.seed });
  } catch (e) {
    if (e instanceof HubelError && e.code === 'shape') {
      throw new HubelError('shape', `model '${spec}' cannot take ${c}×${h}×${w} images (it is designed for ${entry.defaultInput.join('×')}): ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/**
 * Throws when a size option is given for a model that has no such option (an .onnx file has
 * none: its sizes are in the file) or has a value out of range.
 */
export function checkKnobs(spec: string, knobs: Partial<Record<ZooKnob, number>>): void {
  const given = (Object.keys(knobs) as ZooKnob[]).filter((k) => knobs[k] !== undefined);
  if (!given.length) return;
  if (isModelFile(spec)) throw new HubelError('attribute', `--${given[0]} applies to zoo models only; ${spec} is a model file whose sizes are fixed`);
  const entry = cliZooEntry(spec);
  for (const k of given) {
    if (!entry.knobs?.includes(k)) throw new HubelError('attribute', `model '${spec}' has no --${k} option (its options: ${entry.knobs?.map((n) => `--${n}`).join(', ') || 'none'})`);
  }
  const { hidden, dropout, prototypes } = knobs;
  if (prototypes !== undefined && !(Number.isInteger(prototypes) && prototypes >= 1)) throw new HubelError('attribute', `--prototypes must be a positive integer, found ${prototypes}`);
  if (hidden !== undefined && !(Number.isInteger(hidden) && hidden >= 1)) throw new HubelError('attribute', `--hidden must be a positive integer, found ${hidden}`);
  if (dropout !== undefined && !(dropout >= 0 && dropout < 1)) throw new HubelError('attribute', `--dropout must be a ratio in [0, 1), found ${dropout}`);
}

/** Throws naming the model file when its input shape [N, C, H, W] does not fit the images. */
export function checkModelInput(model: Model, imageShape: readonly number[], source: string): void {
  const want = model.inputs[0].shape.slice(1);
  const ok = want.length === imageShape.length && want.every((d, i) => d === null || d === imageShape[i]);
  if (!ok) throw new HubelError('shape', `${source} expects input ${fmtShape(model.inputs[0].shape)}, but the data's images are ${fmtShape(imageShape)} (N×${imageShape.join('×')})`);
}
