import { HubelError, fmtShape } from '@hubel/core';
import type { OnnxTensorProto } from './proto/messages.js';

/** TensorProto.DataType values Hubel reads or writes. */
export const DataType = Object.freeze({
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
});

const NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
  24: 'FLOAT8E8M0', 25: 'UINT2', 26: 'INT2',
};

/** `dataTypeName(1)` → 'FLOAT', for messages. */
export function dataTypeName(t: number): string {
  return NAMES[t] ?? `unknown data type ${t}`;
}

/** Bytes per element in raw_data for the types Hubel decodes. */
const WIDTH: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/**
 * The most elements a tensor in a file may declare. Real tensors are far smaller; the limit
 * exists so that a corrupt header cannot make us allocate what it merely claims (raw data must
 * also match the declared size exactly before anything is allocated).
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * A tensor's values on the host. FLOAT → Float32Array, DOUBLE → Float64Array, FLOAT16 and
 * BFLOAT16 → Float32Array; INT8/16/32, UINT8/16 and BOOL → Int32Array; UINT32, INT64 and
 * UINT64 → Float64Array holding the nearest doubles (exact below 2^53).
 */
export interface HostTensor {
  /** Dimensions, outermost first. */
  readonly dims: readonly number[];
  /** The ONNX element type it was read from (a {@link DataType} value). */
  readonly dataType: number;
  /** The values, row-major, in the array type listed above. */
  readonly values: Float32Array | Float64Array | Int32Array;
}

/** Element count of `dims`, checked: every dim a non-negative integer, product ≤ MAX_ELEMENTS. */
export function elementCount(dims: readonly number[], where: string): number {
  let n = 1;
  for (const d of dims) {
    if (!(Number.isSafeInteger(d) && d >= 0)) throw new HubelError('format', `${where}: bad dimension ${d} in shape ${fmtShape(dims)}`);
    n *= d;
    if (n > MAX_ELEMENTS) throw new HubelError('format', `${where}: shape ${fmtShape(dims)} declares more than ${MAX_ELEMENTS} elements`);
  }
  return n;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const bf16 = new DataView(new ArrayBuffer(4));
function bfloatToFloat(h: number): number {
  bf16.setUint32(0, h << 16, true);
  return bf16.getFloat32(0, true);
}

/**
 * Decodes a TensorProto's values (raw_data little-endian, or the typed field for its type;
 * onnx-notes §4). Throws HubelError 'format' naming the tensor when the declared shape and the
 * stored data disagree, and 'dtype' for types Hubel does not read (strings, complex, 8/4/2-bit).
 * Nothing is allocated before the data's size has been checked against the shape.
 */
export function readTensor(t: OnnxTensorProto, where = `tensor '${t.name}'`): HostTensor {
  if (t.externalLocation !== undefined) {
    throw new HubelError('format', `${where}: data is stored in an external file ('${t.externalLocation}'); Hubel reads only self-contained .onnx files`);
  }
  const n = elementCount(t.dims, where);
  const width = WIDTH[t.dataType];
  if (width === undefined) throw new HubelError('dtype', `${where}: data type ${dataTypeName(t.dataType)} is not supported (Hubel reads float, double, half, bfloat16, integer and bool tensors)`);
  const dt = t.dataType;
  const isFloat = dt === DataType.FLOAT || dt === DataType.FLOAT16 || dt === DataType.BFLOAT16;
  const out = isFloat ? 'f32' : dt === DataType.DOUBLE || dt === DataType.INT64 || dt === DataType.UINT64 || dt === DataType.UINT32 ? 'f64' : 'i32';
  const make = () => (out === 'f32' ? new Float32Array(n) : out === 'f64' ? new Float64Array(n) : new Int32Array(n));
  if (t.rawData !== undefined) {
    const raw = t.rawData;
    if (raw.length !== n * width) {
      throw new HubelError('format', `${where}: raw_data holds ${raw.length} bytes, shape ${fmtShape(t.dims)} of ${dataTypeName(dt)} needs ${n * width}`);
    }
    const v = make();
    // raw_data usually sits at an unaligned offset inside the file buffer: read through a DataView.
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      const o = i * width;
      switch (dt) {
        case DataType.FLOAT: v[i] = dv.getFloat32(o, true); break;
        case DataType.DOUBLE: v[i] = dv.getFloat64(o, true); break;
        case DataType.FLOAT16: v[i] = halfToFloat(dv.getUint16(o, true)); break;
        case DataType.BFLOAT16: v[i] = bfloatToFloat(dv.getUint16(o, true)); break;
        case DataType.INT8: v[i] = dv.getInt8(o); break;
        case DataType.UINT8: case DataType.BOOL: v[i] = dv.getUint8(o); break;
        case DataType.INT16: v[i] = dv.getInt16(o, true); break;
        case DataType.UINT16: v[i] = dv.getUint16(o, true); break;
        case DataType.INT32: v[i] = dv.getInt32(o, true); break;
        case DataType.UINT32: v[i] = dv.getUint32(o, true); break;
        case DataType.INT64: v[i] = Number(dv.getBigInt64(o, true)); break;
        case DataType.UINT64: v[i] = Number(dv.getBigUint64(o, true)); break;
      }
    }
    return { dims: [...t.dims], dataType: dt, values: v };
  }
  const field =
    dt === DataType.FLOAT ? t.floatData
    : dt === DataType.DOUBLE ? t.doubleData
    : dt === DataType.INT64 ? t.int64Data
    : dt === DataType.UINT32 || dt === DataType.UINT64 ? t.uint64Data
    : t.int32Data;
  if (field.length !== n) {
    throw new HubelError('format', `${where}: holds ${field.length} values (and no raw_data), shape ${fmtShape(t.dims)} needs ${n}`);
  }
  const v = make();
  for (let i = 0; i < n; i++) {
    const x = field[i];
    v[i] = dt === DataType.FLOAT16 ? halfToFloat(x & 0xffff) : dt === DataType.BFLOAT16 ? bfloatToFloat(x & 0xffff) : x;
  }
  return { dims: [...t.dims], dataType: dt, values: v };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A TensorProto with `values` as raw little-endian data of `dataType` (FLOAT, DOUBLE, INT64,
 * INT32 or BOOL).
 */
export function makeTensor(name: string, dims: readonly number[], values: ArrayLike<number>, dataType: number = DataType.FLOAT): OnnxTensorProto {
  const n = values.length;
  let raw: Uint8Array;
  if (dataType === DataType.FLOAT || dataType === DataType.DOUBLE || dataType === DataType.INT32) {
    const typed = dataType === DataType.FLOAT ? Float32Array.from(values) : dataType === DataType.DOUBLE ? Float64Array.from(values) : Int32Array.from(values);
    if (LITTLE_ENDIAN_HOST) raw = new Uint8Array(typed.buffer);
    else {
      raw = new Uint8Array(typed.byteLength);
      const dv = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) {
        if (dataType === DataType.FLOAT) dv.setFloat32(i * 4, values[i], true);
        else if (dataType === DataType.DOUBLE) dv.setFloat64(i * 8, values[i], true);
        else dv.setInt32(i * 4, values[i], true);
      }
    }
  } else if (dataType === DataType.INT64) {
    raw = new Uint8Array(n * 8);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < n; i++) dv.setBigInt64(i * 8, BigInt(Math.trunc(values[i])), true);
  } else if (dataType === DataType.BOOL) {
    raw = Uint8Array.from(values, (v) => (v ? 1 : 0));
  } else {
    throw new HubelError('dtype', `cannot write tensor '${name}' as ${dataTypeName(dataType)}`);
  }
  return { name, dims: [...dims], dataType, rawData: raw, floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], stringData: [] };
}
