import { HubelError, attr, defineLayer, fmtShape } from '@hubel/core';

/**
 * Padding (ONNX Pad) of any-rank input: `pads` = [begin per axis…, end per axis…] (ONNX order,
 * ≥ 0), filled with `value` (constant), mirrored without repeating the border (reflect, each
 * pad ≤ size − 1) or with the border value repeated (edge).
 */
export const Pad = defineLayer({
  domain: '',
  type: 'Pad',
  doc: 'Pads with a constant, a mirror image (reflect) or the border value (edge)',
  attrs: {
    pads: attr.ints({ min: 0, doc: 'ONNX order: all begins, then all ends' }),
    mode: attr.string({ oneOf: ['constant', 'reflect', 'edge'] as const, default: 'constant' }),
    value: attr.float({ default: 0, doc: 'fill value for constant mode' }),
  },
  inferShapes: (a, [x]) => {
    const r = x.length;
    if (a.pads.length !== 2 * r) throw new Error(`attribute 'pads': expected ${2 * r} values (begin and end for each of ${r} axes), found ${a.pads.length}`);
    if (a.mode === 'reflect') {
      x.forEach((d, i) => {
        if (a.pads[i] > d - 1 || a.pads[i + r] > d - 1) throw new Error(`attribute 'pads': reflect padding by ${a.pads[i]}/${a.pads[i + r]} along axis ${i} needs pads ≤ size − 1 = ${d - 1}`);
      });
    }
    return [x.map((d, i) => d + a.pads[i] + a.pads[i + r])];
  },
  // From opset 11 ONNX takes `pads` (int64 [2·rank]) and `constant_value` (scalar) as inputs;
  // from opset 18 an optional `axes` input restricts `pads` to the listed axes. Import folds
  // axes into full-rank pads, so the layer (and its export) only ever holds full-rank pads.
  onnx: {
    since: 11,
    attrs: (a) => ({ mode: a.mode }),
    inputsFromAttrs: [
      { index: 1, attr: 'pads', dtype: 'int64', sinceOpset: 11 },
      { index: 2, attr: 'value', dtype: 'float', scalar: true, sinceOpset: 11 },
      { index: 3, attr: 'axes', dtype: 'int64', sinceOpset: 18 },
    ],
    fromOnnx: (o, _params, [x]) => ({ mode: o.mode, value: o.value, pads: fullPads(o.pads as readonly number[] | undefined, o.axes as readonly number[] | undefined, x.length) }),
  },
});

/**
 * ONNX Pad's `pads` for the listed `axes` (begins of each listed axis, then ends; negative axes
 * count from the end) as full-rank pads [begin per axis…, end per axis…], zero on the others.
 * Without axes, `pads` is returned as is. Throws a HubelError on an axis outside [−rank, rank),
 * a repeated axis or a pads list that is not 2·|axes| long.
 */
export function fullPads(pads: readonly number[] | undefined, axes: readonly number[] | undefined, rank: number): readonly number[] | undefined {
  if (!axes || !pads) return pads;
  if (pads.length !== 2 * axes.length) throw new HubelError('attribute', `Pad: 'pads' must hold 2 values per listed axis (${2 * axes.length} for axes ${fmtShape(axes)}), found ${pads.length}`);
  const full = new Array<number>(2 * rank).fill(0);
  const seen = new Set<number>();
  axes.forEach((ax, i) => {
    const a = ax < 0 ? ax + rank : ax;
    if (!Number.isInteger(a) || a < 0 || a >= rank) throw new HubelError('attribute', `Pad: axis ${ax} is outside [${-rank}, ${rank}) for a rank-${rank} input`);
    if (seen.has(a)) throw new HubelError('attribute', `Pad: axis ${ax} is listed twice in axes ${fmtShape(axes)}`);
    seen.add(a);
    full[a] = pads[i];
    full[a + rank] = pads[i + axes.length];
  });
  return full;
}
