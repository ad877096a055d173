import { attr, defineLayer, fmtShape, sameShape, type Shape } from '@hubel/core';

/**
 * The slope's shape for a per-channel PRelu on input [N, C, d1, …]: [C, 1, …, 1], one trailing
 * 1 per spatial axis. ONNX PRelu broadcasts `slope` against X unidirectionally from the right,
 * so a plain [C] slope would line up with the last axis (W in NCHW), not with C; storing the
 * parameter as [C, 1, 1] for NCHW (and [C] for [N, C]) makes it a valid ONNX initializer as is,
 * with no reshape at export or import.
 */
export function perChannelSlopeShape(x: Shape): number[] {
  return [x[1], ...x.slice(2).map(() => 1)];
}

/** Whether `slope` broadcasts to `x` unidirectionally from the right (each axis equal or 1). */
function broadcastsTo(slope: readonly number[], x: Shape): boolean {
  const off = x.length - slope.length;
  return off >= 0 && slope.every((d, i) => d === 1 || d === x[off + i]);
}

/**
 * Parametric ReLU y = x for x ≥ 0, a·x otherwise, with the slope a learned (He et al. 2015;
 * ONNX PRelu). `channelShared: false` (default) learns one slope per channel of an
 * [N, C, …] input, stored as [C, 1, …, 1]; `channelShared: true` learns one scalar, stored as [1].
 * `slopeShape` (ONNX's general form) gives any shape that broadcasts to X from the right, e.g.
 * [W] for one slope per column; it overrides `channelShared`. Slopes start at 0.25.
 */
export const PRelu = defineLayer({
  domain: '',
  type: 'PRelu',
  doc: 'y = x if x >= 0 else slope·x, slope learned per channel or shared',
  attrs: {
    channelShared: attr.bool({ default: false, doc: 'one slope for all channels instead of one per channel' }),
    slopeShape: attr.ints({ optional: true, min: 1, doc: 'general slope shape, broadcast to X from the right (ONNX); overrides channelShared' }),
  },
  params: (a, [x]) => ({
    slope: { shape: a.slopeShape ? [...a.slopeShape] : a.channelShared ? [1] : perChannelSlopeShape(x), init: { kind: 'constant', value: 0.25 } },
  }),
  inferShapes: (a, [x]) => {
    if (a.slopeShape) {
      if (!broadcastsTo(a.slopeShape, x)) throw new Error(`attribute 'slopeShape' ${fmtShape(a.slopeShape)} does not broadcast to the input ${fmtShape(x)} (aligned from the right, each axis equal or 1)`);
      return [x];
    }
    if (!a.channelShared && x.length < 2) {
      throw new Error(`per-channel slopes need an input [N, C, ...] of rank >= 2, found rank ${x.length}; set channelShared: true for one slope`);
    }
    return [x];
  },
  onnx: {
    since: 9,
    // ONNX PRelu has no attributes: sharing is expressed by the slope's shape alone.
    attrs: () => ({}),
    // Shared and per-channel slopes map to our two common layouts; any other shape stays general.
    params: ['slope'],
    // A one-element slope is shared, unless it is exactly the per-channel shape of a 1-channel input.
    fromOnnx: (_attrs, [slope], [x]) => {
      const perChannel = x.length >= 2 && sameShape(slope, perChannelSlopeShape(x));
      const shared = slope.reduce((p, d) => p * d, 1) === 1 && !perChannel;
      return shared || perChannel ? { channelShared: shared } : { slopeShape: [...slope] };
    },
  },
});
