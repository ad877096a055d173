import { ArrayDataset, Rng } from '@hubel/core';

/**
 * n 1×6×6 images with three classes (seed 7): the class shifts the mean of one image quadrant,
 * so a small convnet learns it. Shared by the Node parity suite and the browser WebGPU suite.
 */
export function quadrantDataset(n: number): ArrayDataset {
  const rng = new Rng(7);
  const x = new Float32Array(n * 36);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(3);
    for (let p = 0; p < 36; p++) x[i * 36 + p] = rng.normal() + (Math.floor(p / 18) + (p % 6 < 3 ? 0 : 1) === y[i] ? 1.5 : 0);
  }
  return new ArrayDataset(x, [1, 6, 6], y, [], 3);
}
