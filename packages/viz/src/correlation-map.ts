/**
 * A correlation matrix as a heat map: one square of `cell` pixels per entry, coloured on a
 * diverging scale from blue (r = −1) through white (0) to red (+1); undefined entries (NaN,
 * e.g. rows of constant units) are gray.
 */
import { HubelError } from '@hubel/core';
import type { Image } from './grid.js';

/** Options of {@link correlationHeatMap}. */
export interface CorrelationMapOptions {
  /** Pixels per matrix entry; default makes the map about 256 pixels wide (at least 1). */
  readonly cell?: number;
}

/** RGB of undefined entries. */
const UNDEFINED_RGB = [160, 160, 160] as const;

/** The colour of r ∈ [−1, 1]: white at 0, towards pure red at +1 and pure blue at −1 (values beyond are clamped). */
export function correlationColor(r: number): [number, number, number] {
  if (Number.isNaN(r)) return [...UNDEFINED_RGB];
  const a = Math.min(1, Math.abs(r));
  const fade = Math.round(255 * (1 - a));
  return r >= 0 ? [255, fade, fade] : [fade, fade, 255];
}

/**
 * An RGB image of the n×n matrix `r` (row-major; row i at the top is unit i): each entry a
 * `cell`×`cell` square coloured by {@link correlationColor}. Throws when `r` has fewer than n²
 * values or n < 1.
 */
export function correlationHeatMap(r: ArrayLike<number>, n: number, o: CorrelationMapOptions = {}): Image {
  if (!(Number.isInteger(n) && n >= 1) || r.length < n * n) throw new HubelError('shape', `correlationHeatMap: a ${n}×${n} matrix needs ${n * n} values, found ${r.length}`);
  const cell = o.cell ?? Math.max(1, Math.round(256 / n));
  if (!(Number.isInteger(cell) && cell >= 1)) throw new HubelError('attribute', `correlationHeatMap: cell must be a positive integer, found ${cell}`);
  const size = n * cell;
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const [red, green, blue] = correlationColor(r[i * n + j]);
      for (let y = i * cell; y < (i + 1) * cell; y++) {
        let at = (y * size + j * cell) * 3;
        for (let x = 0; x < cell; x++) {
          data[at++] = red;
          data[at++] = green;
          data[at++] = blue;
        }
      }
    }
  }
  return { width: size, height: size, channels: 3, data };
}
