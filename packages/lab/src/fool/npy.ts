/**
 * NumPy's .npy format, version 1.0, for float32 arrays: the magic `\x93NUMPY`, version 1.0, a
 * little-endian uint16 header length, then an ASCII Python dict (`descr`, `fortran_order`,
 * `shape`) padded with spaces and ended by a newline so the data starts at a multiple of 64
 * bytes, then the values in C order. Written and read here so images.npy needs no NumPy.
 */
import { HubelError } from '@hubel/core';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A float32 array of any shape as .npy v1.0 bytes (`descr '<f4'`, C order). Throws if `data` does not fill `shape`. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !(Number.isInteger(d) && d >= 0)) || size !== data.length) {
    throw new HubelError('shape', `encodeNpy: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // 6 magic + 2 version + 2 length bytes, then the dict, spaces and '\n' up to a multiple of 64.
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + headerLength + 4 * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerLength, true);
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + headerLength);
  for (let i = 0; i < size; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

/**
 * Reads a .npy file of float32 values (`descr '<f4'`, C order; versions 1.0 to 3.0). Returns the
 * values and the shape. Throws a HubelError naming `source` for anything else: bad magic, another
 * dtype, Fortran order, or fewer bytes than the shape needs.
 */
export function decodeNpy(bytes: Uint8Array, source = '.npy data'): { data: Float32Array; shape: number[] } {
  const bad = (why: string) => new HubelError('format', `${source}: not a float32 .npy file: ${why}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('no \\x93NUMPY magic');
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`unknown version ${major}.${bytes[7]}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = major === 1 ? 10 : 12;
  if (bytes.length < at) throw bad('truncated header');
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (bytes.length < at + headerLength) throw bad('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(at, at + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== '<f4') throw bad(`descr is ${descr === undefined ? 'missing' : `'${descr}'`}, expected '<f4'`);
  if (!/'fortran_order'\s*:\s*False/.test(header)) throw bad('fortran_order is not False');
  const dims = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dims === undefined) throw bad('no shape');
  const shape = dims.split(',').map((d) => d.trim()).filter((d) => d !== '').map(Number);
  if (shape.some((d) => !(Number.isInteger(d) && d >= 0))) throw bad(`bad shape (${dims})`);
  const size = shape.reduce((a, b) => a * b, 1);
  const start = at + headerLength;
  if (bytes.length - start < 4 * size) throw bad(`shape (${dims}) needs ${4 * size} data bytes, found ${bytes.length - start}`);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = dv.getFloat32(start + 4 * i, true);
  return { data, shape };
}
