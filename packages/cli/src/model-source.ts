import { existsSync } from 'node:fs';
import { HubelError, fmtShape, type Backend, type Model, type Registry } from '@hubel/core';
import { zooEntry } from '@hubel/models';
import { readModelFile } from './persist.js';

export interface ModelSourceOptions {
  readonly registry: Registry;
  readonly backend: Backend;
  /** Image shape [C, H, W] of the data the model will see. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly seed: number;
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
  if (isModelFile(spec)) {
    const model = await readModelFile(spec, o.registry, o.backend);
    checkModelInput(model, o.inputShape, spec);
    const scores = model.valueInfo.get(model.outputs[0])?.shape;
    if (scores && scores.length === 2 && scores[1] !== null && scores[1] !== o.classes) {
      model.dispose();
      throw new HubelError('shape', `${spec} outputs ${scores[1]} class scores, but the data has ${o.classes} classes`);
    }
    return model;
  }
  const entry = zooEntry(spec);
  const [c, h, w] = o.inputShape;
  try {
    return entry.build({ registry: o.registry, inputShape: [c, h, w], classes: o.classes }).build({ backend: o.backend, seed: o.seed });
  } catch (e) {
    if (e instanceof HubelError && e.code === 'shape') {
      throw new HubelError('shape', `model '${spec}' cannot take ${c}×${h}×${w} images (it is designed for ${entry.defaultInput.join('×')}): ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** Throws naming the model file when its input shape [N, C, H, W] does not fit the images. */
export function checkModelInput(model: Model, imageShape: readonly number[], source: string): void {
  const want = model.inputs[0].shape.slice(1);
  const ok = want.length === imageShape.length && want.every((d, i) => d === null || d === imageShape[i]);
  if (!ok) throw new HubelError('shape', `${source} expects input ${fmtShape(model.inputs[0].shape)}, but the data's images are ${fmtShape(imageShape)} (N×${imageShape.join('×')})`);
}
