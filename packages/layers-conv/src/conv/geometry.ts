/**
 * Window geometry shared by Conv and LocallyConnected: resolves ONNX's strides / pads /
 * dilations / auto_pad for a 1-D ([N, C, L]) or 2-D ([N, C, H, W]) input into output sizes and
 * the im2col geometry, and rejects impossible configurations with messages naming the attribute.
 */
import type { ConvGeometry } from '@hubel/backend-cpu';
import { resolveWindowAxis, type AutoPad, type Shape } from '@hubel/core';

export type { AutoPad };

/** The window attributes both layers share (ONNX names, camelCase). */
export interface WindowAttrs {
  /** `[kW]` (1-D) or `[kH, kW]` (2-D). */
  readonly kernelShape: readonly number[];
  /** Step per spatial axis; default 1. */
  readonly strides?: readonly number[];
  /** All begins, then all ends; default 0. */
  readonly pads?: readonly number[];
  /** Tap spacing per spatial axis; default 1. */
  readonly dilations?: readonly number[];
  /** ONNX auto_pad; default `NOTSET` (explicit pads). */
  readonly autoPad?: AutoPad;
}

/** A window resolved against an input shape by {@link resolveWindow}: sizes, steps and pads per spatial axis. */
export interface ResolvedWindow {
  /** Spatial input sizes (1 or 2 of them). */
  readonly inSizes: readonly number[];
  /** Spatial output sizes. */
  readonly outSizes: readonly number[];
  /** Step per spatial axis. */
  readonly strides: readonly number[];
  /** Tap spacing per spatial axis. */
  readonly dilations: readonly number[];
  /** ONNX order: all begins, then all ends. */
  readonly pads: readonly number[];
  /** The same window as a 2-D im2col geometry (1-D as H = 1). */
  readonly geometry: ConvGeometry;
}

const AXES = ['W'];
const AXES2 = ['H', 'W'];

/** Attribute-only checks (lengths and ranges); throws a plain message naming the attribute. */
export function checkWindowAttrs(a: WindowAttrs): void {
  const r = a.kernelShape.length;
  const list = (name: string, v: readonly number[] | undefined, len: number, min: number) => {
    if (v === undefined) return;
    if (v.length !== len) throw new Error(`attribute '${name}': expected ${len} values for a ${r}-D kernel [${a.kernelShape.join(', ')}], found [${v.join(', ')}]`);
    if (v.some((x) => x < min)) throw new Error(`attribute '${name}': expected values >= ${min}, found [${v.join(', ')}]`);
  };
  list('strides', a.strides, r, 1);
  list('dilations', a.dilations, r, 1);
  list('pads', a.pads, 2 * r, 0);
  if (a.pads && a.autoPad && a.autoPad !== 'NOTSET' && a.pads.some((p) => p !== 0)) {
    throw new Error(`attribute 'pads': explicit pads [${a.pads.join(', ')}] conflict with autoPad '${a.autoPad}' (ONNX allows pads only with NOTSET)`);
  }
}

/**
 * Output sizes and pads for input shape `x` ([N, C, L] or [N, C, H, W], matching the kernel's
 * rank). SAME_* pads so that out = ⌈in / stride⌉; an odd total goes to the end (UPPER) or the
 * beginning (LOWER). Throws a plain message naming the attribute and sizes.
 */
export function resolveWindow(a: WindowAttrs, x: Shape, channels: number): ResolvedWindow {
  const r = a.kernelShape.length;
  if (x.length !== r + 2) {
    throw new Error(`input rank ${x.length} does not match the ${r}-D kernel (attribute 'kernelShape' [${a.kernelShape.join(', ')}]): expected ${r === 1 ? '[N, C, L]' : '[N, C, H, W]'}`);
  }
  const names = r === 1 ? AXES : AXES2;
  const inSizes = x.slice(2);
  const strides = a.strides ?? a.kernelShape.map(() => 1);
  const dilations = a.dilations ?? a.kernelShape.map(() => 1);
  const autoPad = a.autoPad ?? 'NOTSET';
  const begins: number[] = [], ends: number[] = [], outSizes: number[] = [];
  for (let i = 0; i < r; i++) {
    const { padBegin: pb, padEnd: pe, outSize, extent, fits } = resolveWindowAxis({
      inSize: inSizes[i], kernel: a.kernelShape[i], stride: strides[i], dilation: dilations[i], padBegin: a.pads?.[i] ?? 0, padEnd: a.pads?.[i + r] ?? 0, autoPad,
    });
    if (!fits) {
      const padded = inSizes[i] + pb + pe;
      throw new Error(
        `attribute 'kernelShape': kernel ${a.kernelShape[i]}${dilations[i] > 1 ? ` (dilation ${dilations[i]}: spans ${extent})` : ''} is larger than the padded input along ${names[i]}: ${inSizes[i]} + pads ${pb} + ${pe} = ${padded}`,
      );
    }
    begins.push(pb);
    ends.push(pe);
    outSizes.push(outSize);
  }
  const two = (v: readonly number[], fill: number) => (r === 1 ? [fill, v[0]] : [v[0], v[1]]);
  const [inH, inW] = two(inSizes, 1);
  const [outH, outW] = two(outSizes, 1);
  const [kernelH, kernelW] = two(a.kernelShape, 1);
  const [strideH, strideW] = two(strides, 1);
  const [dilationH, dilationW] = two(dilations, 1);
  const [padTop, padLeft] = two(begins, 0);
  return {
    inSizes,
    outSizes,
    strides,
    dilations,
    pads: [...begins, ...ends],
    geometry: { channels, inH, inW, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW },
  };
}
