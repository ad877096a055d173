/**
 * ONNX window geometry for MaxPool, AveragePool and SumPool: the shared attributes, their
 * cross-checks and shape inference (output sizes, auto_pad). Pure shape arithmetic, so layer
 * definitions run it without any backend; kernels hand the result to the backend's window block.
 */
import type { WindowAxis } from '@hubel/backend-cpu';
import { AUTO_PADS, attr, fmtShape, resolveWindowAxis, type AutoPad, type OnnxAttrValue, type Shape } from '@hubel/core';

export { AUTO_PADS, type AutoPad };

/** Attribute specs every window layer declares (ONNX names in camelCase; any number of spatial axes). */
export const windowAttrs = {
  kernelShape: attr.ints({ minLength: 1, min: 1, doc: 'window size per spatial axis (1-D, 2-D, 3-D, …)' }),
  strides: attr.ints({ optional: true, min: 1, doc: 'step per spatial axis; default 1' }),
  pads: attr.ints({ optional: true, min: 0, doc: 'ONNX order: begins of every axis, then ends; default 0' }),
  autoPad: attr.string({ oneOf: AUTO_PADS, default: 'NOTSET', doc: 'SAME_UPPER/SAME_LOWER pad to ceil(in / stride) outputs; VALID pads nothing' }),
};
export const dilationsAttr = attr.ints({ optional: true, min: 1, doc: 'spacing between window taps per spatial axis; default 1' });
export const ceilModeAttr = attr.bool({ default: false, doc: 'round the output size up; a last window starting in the end padding is dropped' });

/** The resolved attributes the geometry reads (absent ones take ONNX's defaults). */
export interface WindowAttrs {
  /** Window size per spatial axis. */
  readonly kernelShape: readonly number[];
  /** Step per spatial axis; default 1. */
  readonly strides?: readonly number[];
  /** All begins, then all ends; default 0. */
  readonly pads?: readonly number[];
  /** Tap spacing per spatial axis; default 1. */
  readonly dilations?: readonly number[];
  /** ONNX auto_pad. */
  readonly autoPad: AutoPad;
  /** Round output sizes up (ONNX ceil_mode); default false. */
  readonly ceilMode?: boolean;
}

/** Cross-attribute checks (for `validate`): list lengths agree with kernelShape; auto_pad excludes pads. */
export function validateWindowAttrs(a: WindowAttrs): void {
  const r = a.kernelShape.length;
  const check = (name: string, v: readonly number[] | undefined, want: number, what: string) => {
    if (v !== undefined && v.length !== want) {
      throw new Error(`attribute '${name}': expected ${want} values (${what} for kernelShape ${fmtShape(a.kernelShape)}), found ${v.length} (${fmtShape(v)})`);
    }
  };
  check('strides', a.strides, r, 'one per spatial axis');
  check('dilations', a.dilations, r, 'one per spatial axis');
  check('pads', a.pads, 2 * r, 'begins then ends');
  if (a.autoPad !== 'NOTSET' && a.pads !== undefined && a.pads.some((p) => p !== 0)) {
    throw new Error(`attribute 'pads' ${fmtShape(a.pads)} cannot be combined with autoPad '${a.autoPad}' (ONNX: explicit pads need autoPad 'NOTSET')`);
  }
  if (a.autoPad !== 'NOTSET' && a.ceilMode) {
    // ONNX's reference implementation rejects the pair and runtimes disagree on its meaning.
    throw new Error(`attribute 'ceilMode' cannot be combined with autoPad '${a.autoPad}' (ONNX defines ceil_mode for explicit pads only)`);
  }
}

/**
 * Per-axis geometry of a window layer on input shape x = [N, C, ...spatial]: resolves auto_pad,
 * computes ONNX output sizes and rejects windows that do not fit. Throws a plain Error naming the
 * attribute and the numbers (the graph adds the node and the input shapes).
 *
 * Output sizes and auto_pad come from core's resolveWindowAxis (ONNX's arithmetic, shared with
 * Conv); ceilMode must be off with SAME_* (validateWindowAttrs).
 */
export function windowAxes(a: WindowAttrs, x: Shape): WindowAxis[] {
  const r = a.kernelShape.length;
  if (x.length !== r + 2) {
    const dims = r === 1 ? ', L' : r === 2 ? ', H, W' : r === 3 ? ', D, H, W' : `, D1…D${r}`;
    throw new Error(`expected a ${r + 2}-D input [N, C${dims}] for kernelShape ${fmtShape(a.kernelShape)}, found rank ${x.length}`);
  }
  return a.kernelShape.map((k, i) => {
    const inSize = x[i + 2];
    const stride = a.strides?.[i] ?? 1;
    const dilation = a.dilations?.[i] ?? 1;
    const axisName = `spatial axis ${i} (input dim ${i + 2})`;
    const { padBegin, padEnd, outSize, extent, fits } = resolveWindowAxis({
      inSize, kernel: k, stride, dilation, padBegin: a.pads?.[i] ?? 0, padEnd: a.pads?.[i + r] ?? 0, autoPad: a.autoPad, ceilMode: a.ceilMode,
    });
    // SAME_* always fits (it pads as much as the window needs).
    if (!fits && a.autoPad !== 'SAME_UPPER' && a.autoPad !== 'SAME_LOWER') {
      throw new Error(
        `attribute 'kernelShape' ${fmtShape(a.kernelShape)}: window extent ${extent} along ${axisName} is larger than the padded input ` +
          `${inSize} + ${padBegin} + ${padEnd} = ${inSize + padBegin + padEnd}`,
      );
    }
    // Every window must see at least one input element: an all-padding window has no maximum
    // and no defined average without padding (ONNX Runtime also rejects pads >= kernel).
    // A window starting inside the input sees its first element, so only windows starting in
    // the padding need a look: those before the input (at most ⌈padBegin/stride⌉ of them, and
    // with a padBegin beyond the window's extent the first already fails) and the first one
    // past the input's end (nothing after its start is input). Checking every output instead
    // took seconds for the huge sizes a corrupt file can declare.
    const firstPast = Math.max(0, Math.floor((inSize - 1 + padBegin) / stride) + 1);
    const check = (o: number): void => {
      const start = o * stride - padBegin;
      const j0 = start < 0 ? Math.ceil(-start / dilation) : 0;
      const j1 = Math.min(k - 1, Math.floor((inSize - 1 - start) / dilation));
      if (j1 < j0) {
        throw new Error(
          `attribute 'pads' ${fmtShape(a.pads ?? [])}: the window of output ${o} along ${axisName} (size ${inSize}, padding [${padBegin}, ${padEnd}], ` +
            `kernel ${k}, stride ${stride}, dilation ${dilation}) lies entirely in the padding`,
        );
      }
    };
    for (let o = 0; o < outSize && o * stride < padBegin; o++) check(o);
    if (firstPast < outSize) check(firstPast);
    return { inSize, outSize, kernel: k, stride, dilation, padBegin, padEnd };
  });
}

/** [N, C, ...output sizes] for the axes of `windowAxes`. */
export function windowOutputShape(x: Shape, axes: readonly WindowAxis[]): Shape {
  return [x[0], x[1], ...axes.map((ax) => ax.outSize)];
}

/** ONNX attributes of the window geometry (auto_pad written only when set, explicit pads only without it). */
export function onnxWindowAttrs(a: WindowAttrs): Record<string, OnnxAttrValue | undefined> {
  const r = a.kernelShape.length;
  return {
    kernel_shape: a.kernelShape,
    strides: a.strides ?? new Array<number>(r).fill(1),
    auto_pad: a.autoPad === 'NOTSET' ? undefined : a.autoPad,
    pads: a.autoPad === 'NOTSET' ? (a.pads ?? new Array<number>(2 * r).fill(0)) : undefined,
  };
}
