/**
 * IDX files from disk (Node): streaming reads of raw or gzip-compressed files, and encoding.
 * The format and the in-memory decoder are in idx-decode.ts (browser-safe).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { HubelError } from '@hubel/core';
import { IDX_TYPES, checkExpectation, hex, idxTypeName, parseIdxHeader, toTyped, writeBE, type IdxArray, type IdxData, type IdxExpectation, type IdxHeader } from './idx-decode.js';

export { decodeIdx, parseIdxHeader, type IdxArray, type IdxData, type IdxExpectation, type IdxHeader, type IdxType } from './idx-decode.js';

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
  const entry = Object.entries(IDX_TYPES).find(([, t]) => t.name === idxTypeName(data));
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

