import { HubelError, type Registry } from '@hubel/core';

/** Options every zoo builder takes. */
export interface ZooOptions {
  /** Registry the model's layers are looked up in (default: `zooRegistry()`). */
  readonly registry?: Registry;
  /** Number of classes of the output layer. */
  readonly classes?: number;
  /** Input [C, H, W]. */
  readonly inputShape?: readonly [number, number, number];
}

export function checkClasses(classes: number, model: string): void {
  if (!(Number.isInteger(classes) && classes >= 2)) throw new HubelError('attribute', `${model}: classes must be an integer >= 2, found ${classes}`);
}

export function checkInput(shape: readonly number[], model: string): void {
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new HubelError('shape', `${model}: inputShape must be [C, H, W] of positive integers, found [${shape.join(', ')}]`);
  }
}
