/**
 * IDX files (LeCun's MNIST format, also used by Fashion-MNIST): a 4-byte magic number
 * `00 00 TT DD` (TT = element type, DD = number of dimensions), DD big-endian uint32
 * dimension sizes, then the elements in row-major order, big-endian.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { HubelError } from '@hubel/core';

/** IDX element types by their type byte. */
const TYPES = {
  0x08: { name: 'ubyte', bytes: 1 },
  0x09: { name: 'sbyte', bytes: 1 },
  0x0b: { name: 'int16', bytes: 2 },
  0x0c: { name: 'int32', bytes: 4 },
  0x0d: { name: 'float32', bytes: 4 },
  0x0e: { name: 'float64', bytes: 8 },
} as const;

export type IdxType = (typeof TYPES)[keyof typeof TYPES]['name'];
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
  const t = TYPES[bytes[2] as keyof typeof TYPES];
  if (!t) throw new HubelError('format', `${source}: unknown IDX element type ${hex(bytes[2])} (expected one of ${Object.keys(TYPES).map((k) => hex(Number(k))).join(', ')})`);
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

/**
 * Reads an IDX file, raw or gzip-compressed (by content, so a misnamed file still works),
 * streaming and decompressing chunk by chunk. Memory grows with the bytes actually read,
 * never with what the header claims, and reading stops as soon as the file proves longer
 * than its header says. Throws a `format` error naming the file for a wrong magic number, a
 * truncated or overlong file, or a broken gzip stream; an `io` error when it cannot be read.
 */
export async function readIdx(path: string, expect: IdxExpectation = {}): Promise<IdxArray> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new HubelError('io', `${path}: not a regular file`);
    size = s.size;
  } catch (e) {
    if (e instanceof HubelError) throw e;
    throw new HubelError('io', `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const gzipped = await startsWithGzipMagic(path, size);
  const raw = createReadStream(path);
  const stream = gzipped ? raw.pipe(createGunzip()) : raw;
  const chunks: Buffer[] = [];
  let received = 0;
  let header: IdxHeader | undefined;
  let headBuf: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (!header) {
        headBuf = Buffer.concat([headBuf, chunk]);
        header = parseIdxHeader(headBuf, path);
        if (!header) continue;
        checkExpectation(header, path, expect);
        // A raw file's size bounds the payload before anything is allocated for it.
        if (!gzipped && size - header.headerBytes < header.payloadBytes) {
          throw truncated(path, header, size - header.headerBytes);
        }
        chunks.push(headBuf);
      } else {
        chunks.push(chunk);
      }
      if (received - header.headerBytes > header.payloadBytes) {
        throw new HubelError('format', `${path}: more data than the IDX header declares (dims [${header.dims.join(', ')}] of ${header.type} = ${header.payloadBytes} bytes)`);
      }
    }
  } catch (e) {
    raw.destroy();
    if (e instanceof HubelError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new HubelError('format', `${path}: corrupt or truncated gzip data (${(e as Error).message})`, { cause: e });
    throw new HubelError('io', `${path}: read failed (${(e as Error).message})`, { cause: e });
  }
  if (!header) throw new HubelError('format', `${path}: truncated IDX header (${received} bytes${gzipped ? ' after gunzip' : ''})`);
  const payload = received - header.headerBytes;
  if (payload < header.payloadBytes) throw truncated(path, header, payload);
  const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  return { type: header.type, dims: header.dims, data: toTyped(header.type, all.subarray(header.headerBytes)) };
}

/**
 * Encodes an array as IDX bytes (big-endian), gzip-compressed when `gzip` is true.
 * `data.length` must equal the product of `dims`.
 */
export function encodeIdx(data: IdxData, dims: readonly number[], options: { gzip?: boolean } = {}): Uint8Array {
  const entry = Object.entries(TYPES).find(([, t]) => t.name === typeName(data));
  if (!entry) throw new HubelError('dtype', `encodeIdx: unsupported array type ${data.constructor.name}`);
  const [code, t] = entry;
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new HubelError('shape', `encodeIdx: dims [${dims.join(', ')}] hold ${count} elements, the array has ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + count * t.bytes);
  const view = new DataView(out.buffer);
  out[2] = Number(code);
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const off = 4 + 4 * dims.length;
  if (t.bytes === 1) out.set(new Uint8Array(data.buffer, data.byteOffset, data.length), off);
  else for (let i = 0; i < count; i++) writeBE(view, off + i * t.bytes, t.name, data[i]);
  return options.gzip ? new Uint8Array(gzipSync(out, { level: 9 })) : out;
}

function typeName(data: IdxData): IdxType | undefined {
  if (data instanceof Uint8Array) return 'ubyte';
  if (data instanceof Int8Array) return 'sbyte';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return undefined;
}

function writeBE(view: DataView, at: number, type: IdxType, v: number): void {
  if (type === 'int16') view.setInt16(at, v, false);
  else if (type === 'int32') view.setInt32(at, v, false);
  else if (type === 'float32') view.setFloat32(at, v, false);
  else view.setFloat64(at, v, false);
}

function toTyped(type: IdxType, bytes: Uint8Array): IdxData {
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

function checkExpectation(h: IdxHeader, source: string, expect: IdxExpectation): void {
  if (expect.rank !== undefined && h.dims.length !== expect.rank) {
    throw new HubelError('format', `${source}: expected an IDX file with ${expect.rank} dimension(s), found ${h.dims.length} (dims [${h.dims.join(', ')}])`);
  }
  if (expect.type !== undefined && h.type !== expect.type) throw new HubelError('format', `${source}: expected IDX element type ${expect.type}, found ${h.type}`);
}

function truncated(path: string, h: IdxHeader, have: number): HubelError {
  return new HubelError('format', `${path}: truncated: the IDX header declares dims [${h.dims.join(', ')}] of ${h.type} = ${h.payloadBytes} data bytes, the file holds ${have}`);
}

async function startsWithGzipMagic(path: string, size: number): Promise<boolean> {
  if (size < 2) return false;
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function hex(b: number | undefined): string {
  return b === undefined ? '(none)' : `0x${b.toString(16).padStart(2, '0')}`;
}
