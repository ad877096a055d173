import { fmtShape, sameShape, type Shape } from '@hubel/core';
import type { Reduction } from './cpu.js';

/**
 * Output shape of a class-indexed loss over X [N, C, d1, …], labels T [N, d1, …] and optional
 * weights W [C]: [] for 'mean'/'sum', T's shape for 'none'. Throws a plain message on a mismatch.
 */
export function lossShape(reduction: Reduction, [x, t, w]: readonly Shape[]): Shape {
  if (x.length < 2) throw new Error(`expected scores X of rank >= 2 [N, C, ...], found X ${fmtShape(x)}`);
  const want = [x[0], ...x.slice(2)];
  if (!sameShape(t, want)) throw new Error(`labels T must have shape ${fmtShape(want)} (X ${fmtShape(x)} without its class axis), found T ${fmtShape(t)}`);
  if (w && !sameShape(w, [x[1]])) throw new Error(`class weights W must have shape [${x[1]}] (one per class of X ${fmtShape(x)}), found W ${fmtShape(w)}`);
  return reduction === 'none' ? [...t] : [];
}
