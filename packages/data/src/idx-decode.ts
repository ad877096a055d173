/**
 * IDX files (LeCun's MNIST format, also used by Fashion-MNIST): a 4-byte magic number
 * `00 00 TT DD` (TT = element type, DD = number of dimensions), DD big-endian uint32
 * dimension sizes, then the elements in row-major order, big-endian. Decoding from bytes in
 * memory: no Node built-ins, so browsers use it too (`@hubel/data/browser`).
 */
import { HubelError } from '@hubel/core';

/** IDX element types by their type byte: name and bytes per element. */
export const IDX_TYPES = {
  0x08: { name: 'ubyte', bytes: 1 },
  0x09: { name: 'sbyte', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
} as const;

/** Name of an IDX element type. */
export type IdxType = (typeof IDX_TYPES)[keyof typeof IDX_TYPES]['name'];
/** The typed array an IDX file's elements decode into. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: dimension sizes and the elements as a typed array of the file's type. */
export interface IdxArray {
  /** Element type named by the file's type byte. */
  readonly type: IdxType;
  /** Dimension sizes, outermost first. */
  readonly dims: readonly number[];
  /** The elements, row-major, in the typed array matching `type`. */
  readonly data: IdxData;
}

/** What a file must look like; a mismatch is a `format` error naming the file. */
export interface IdxExpectation {
  /** Number of dimensions (1 for labels, 3 for images). */
  readonly rank?: number;
  /** Element type the file must have. */
  readonly type?: IdxType;
}

/** Parsed header: type, dimensions, header length and payload length in bytes. */
export interface IdxHeader {
  /** Element type. */
  readonly type: IdxType;
  /** Dimension sizes. */
  readonly dims: readonly number[];
  /** Length of the header: 4 + 4 × dimensions. */
  readonly headerBytes: number;
  /** Length of the elements: ∏ dims × element size. */
  readonly payloadBytes: number;
}

/**
 * Parses an IDX header from the first bytes of a file. Returns undefined when `bytes` is too
 * short to hold the whole header yet; throws a `format` error naming `source` when it is not IDX.
 */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader | undefined {
  if (bytes.length < 4) return undefined;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (it looks gzip-compressed: name it *.gz)' : '';
    throw new HubelError('format', `${source}: not an IDX file: magic number must start with bytes 00 00, found ${hex(bytes[0])} ${hex(bytes[1])}${gz}`);
  }
  const t = IDX_TYPES[bytes[2] as keyof typeof IDX_TYPES];
  if (!t) throw new HubelError('format', `${source}: unknown IDX element type ${hex(bytes[2])} (expected one of ${Object.keys(IDX_TYPES).map((k) => hex(Number(k))).join(', ')})`);
  const rank = bytes[3];
  if (rank === 0) throw new HubelError('format', `${source}: IDX header declares 0 dimensions`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const payloadBytes = count * t.bytes;
  if (!Number.isSafeInteger(payloadBytes)) throw new HubelError('format', `${source}: IDX dimensions [${dims.join(', ')}] describe an impossibly large array`);
  return { type: t.name, dims, headerBytes, payloadBytes };
}

/**
 * Decodes a whole IDX file held in memory. Throws a `format` error naming `source` when the
 * magic number is wrong, the file is truncated or has trailing bytes, or `expect` is not met.
 */
export function decodeIdx(bytes: Uint8Array, source = 'IDX data', expect: IdxExpectation = {}): IdxArray {
  const h = parseIdxHeader(bytes, source);
  if (!h) throw new HubelError('format', `${source}: truncated IDX header (${bytes.length} bytes)`);
  checkExpectation(h, source, expect);
  const have = bytes.length - h.headerBytes;
  if (have !== h.payloadBytes) {
    throw new HubelError('format', `${source}: IDX header declares dims [${h.dims.join(', ')}] of ${h.type} = ${h.payloadBytes} data bytes, the file holds ${have}${have < h.payloadBytes ? ' (truncated)' : ' (trailing bytes)'}`);
  }
  return { type: h.type, dims: h.dims, data: toTyped(h.type, bytes.subarray(h.headerBytes)) };
}

/** The IDX element type of a typed array, or undefined for other arrays. */
export function idxTypeName(data: IdxData): IdxType | undefined {
  if (data instanceof Uint8Array) return 'ubyte';
  if (data instanceof Int8Array) return 'sbyte';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return undefined;
}

/** Writes one big-endian element of a multi-byte IDX type at byte `at`. */
export function writeBE(view: DataView, at: number, type: IdxType, v: number): void {
  if (type === 'int16') view.setInt16(at, v, false);
  else if (type === 'int32') view.setInt32(at, v, false);
  else if (type === 'float32') view.setFloat32(at, v, false);
  else view.setFloat64(at, v, false);
}

/** Copies an IDX payload (big-endian) into a new typed array of its type. */
export function toTyped(type: IdxType, bytes: Uint8Array): IdxData {
  if (type === 'ubyte') return new Uint8Array(bytes);
  if (type === 'sbyte') return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (type === 'int16') {
    const out = new Int16Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, false);
    return out;
  }
  if (type === 'int32') {
    const out = new Int32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt32(4 * i, false);
    return out;
  }
  if (type === 'float32') {
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, false);
    return out;
  }
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, false);
  return out;
}

/** Throws a `format` error naming `source` when a header does not meet `expect`. */
export function checkExpectation(h: IdxHeader, source: string, expect: IdxExpectation): void {
  if (expect.rank !== undefined && h.dims.length !== expect.rank) {
    throw new HubelError('format', `${source}: expected an IDX file with ${expect.rank} dimension(s), found ${h.dims.length} (dims [${h.dims.join(', ')}])`);
  }
  if (expect.type !== undefined && h.type !== expect.type) throw new HubelError('format', `${source}: expected IDX element type ${expect.type}, found ${h.type}`);
}

/** A byte as `0x..` for messages; "(none)" when missing. */
export function hex(b: number | undefined): string {
  return b === undefined ? '(none)' : `0x${b.toString(16).padStart(2, '0')}`;
}
