/**
 * Global pooling as one window per [N, C] plane: the spatial dims (any number, ≥ 1) flatten into
 * one axis of length S and a single window of kernel S covers it, so global pooling runs the
 * same window block as MaxPool/AveragePool.
 */
import type { WindowAxis } from '@hubel/backend-cpu';
import type { Shape } from '@hubel/core';

/** [N, C, 1, ..., 1]; throws a plain Error unless x is [N, C, ...spatial] with at least one spatial dim. */
export function globalOutputShape(x: Shape): Shape {
  if (x.length < 3) throw new Error(`expected an input [N, C, ...spatial] with at least one spatial dim, found rank ${x.length}`);
  return [x[0], x[1], ...x.slice(2).map(() => 1)];
}

/** The single whole-plane window axis for input x. */
export function globalAxes(x: Shape): WindowAxis[] {
  const s = x.slice(2).reduce((p, d) => p * d, 1);
  return [{ inSize: s, outSize: 1, kernel: s, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 }];
}
