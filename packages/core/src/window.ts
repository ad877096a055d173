/**
 * ONNX's window arithmetic along one spatial axis, shared by every windowed layer (Conv,
 * LocallyConnected, MaxPool, AveragePool, SumPool): auto_pad resolution and the output size.
 * Pure numbers, so layer definitions run it without any backend.
 */

/** ONNX's `auto_pad` values. */
export const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
/** One of ONNX's `auto_pad` values: explicit pads (`NOTSET`), `SAME_UPPER`, `SAME_LOWER` or `VALID`. */
export type AutoPad = (typeof AUTO_PADS)[number];

/** One axis of a window: the input size and the window's attributes along it. */
export interface WindowAxisSpec {
  /** Input size along the axis (without padding). */
  readonly inSize: number;
  /** Window size along the axis. */
  readonly kernel: number;
  /** Step between window starts. */
  readonly stride: number;
  /** Spacing between window taps (1: contiguous). */
  readonly dilation: number;
  /** Explicit pads (ignored unless autoPad is NOTSET). */
  readonly padBegin: number;
  /** Explicit padding after the last element (ignored unless autoPad is NOTSET). */
  readonly padEnd: number;
  /** How the pads are chosen. */
  readonly autoPad: AutoPad;
  /** Round the output size up (pooling's ceil_mode; explicit pads only). */
  readonly ceilMode?: boolean;
}

/** One axis after {@link resolveWindowAxis}: the pads actually used and the output size. */
export interface ResolvedWindowAxis {
  /** Padding before the first element. */
  readonly padBegin: number;
  /** Padding after the last element. */
  readonly padEnd: number;
  /** Number of window positions: the output size along the axis. */
  readonly outSize: number;
  /** The window's extent (k − 1)·d + 1. */
  readonly extent: number;
  /** Whether the extent fits the padded input (in + pb + pe ≥ e); outSize is 0 when it does not. */
  readonly fits: boolean;
}

/**
 * Resolves one axis. SAME_UPPER/SAME_LOWER: ⌈in / s⌉ outputs and total padding
 * max(0, (out − 1)·s + e − in), the odd unit at the end (UPPER) or the beginning (LOWER).
 * VALID: no padding. NOTSET: the explicit pads. Then out = ⌊(in + pb + pe − e) / s⌋ + 1, or with
 * ceilMode the ceiling, minus one when the last window would start at or past in + pb
 * (entirely in the end padding), as ONNX and PyTorch do. Callers word the error for their
 * layer when the window does not fit.
 */
export function resolveWindowAxis(a: WindowAxisSpec): ResolvedWindowAxis {
  const extent = (a.kernel - 1) * a.dilation + 1;
  let { padBegin, padEnd } = a;
  if (a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') {
    const outSize = Math.ceil(a.inSize / a.stride);
    const total = Math.max(0, (outSize - 1) * a.stride + extent - a.inSize);
    const half = Math.floor(total / 2);
    [padBegin, padEnd] = a.autoPad === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
    return { padBegin, padEnd, outSize, extent, fits: a.inSize + total >= extent };
  }
  if (a.autoPad === 'VALID') padBegin = padEnd = 0;
  const span = a.inSize + padBegin + padEnd - extent;
  if (span < 0) return { padBegin, padEnd, outSize: 0, extent, fits: false };
  let outSize = (a.ceilMode ? Math.ceil(span / a.stride) : Math.floor(span / a.stride)) + 1;
  if (a.ceilMode && (outSize - 1) * a.stride >= a.inSize + padBegin) outSize--;
  return { padBegin, padEnd, outSize, extent, fits: true };
}
