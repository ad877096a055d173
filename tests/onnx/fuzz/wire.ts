// Protobuf wire format as a tree, for structure-aware mutations of .onnx files: every
// length-delimited field whose payload parses as a message is kept as its children, so a
// mutation can change one length prefix, one varint, or duplicate or delete one field
// anywhere in the file and the rest re-serializes byte for byte as it was.

/** One field record of a message as it sits in the file. */
export interface WireField {
  /** Field number. */
  readonly num: number;
  /** Wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
  readonly wire: 0 | 1 | 2 | 5;
  /** The tag bytes as found (re-used verbatim so non-canonical tags survive a round trip). */
  readonly key: Uint8Array;
  /** Wire 0/1/5: the value's bytes; wire 2: the payload (without its length prefix). */
  readonly raw: Uint8Array;
  /** Wire 2 only: the payload parsed as a message, when it parses as one. */
  readonly children?: readonly WireField[];
  /** Mutation: the length prefix written instead of the payload's real length. */
  readonly lenOverride?: bigint;
}

/** Largest nesting depth at which payloads are tried as messages. */
const MAX_DEPTH = 16;

/** Reads a varint at `pos`; undefined when it runs past `end` or past 10 bytes. */
export function readVarint(b: Uint8Array, pos: number, end: number): { value: bigint; next: number } | undefined {
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return undefined;
    const byte = b[pos + i];
    v |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return { value: v & 0xffff_ffff_ffff_ffffn, next: pos + i + 1 };
    shift += 7n;
  }
  return undefined;
}

/** The canonical varint encoding of `v` (taken modulo 2^64, so -1n is ten bytes). */
export function encodeVarint(v: bigint | number): Uint8Array {
  let x = BigInt(v) & 0xffff_ffff_ffff_ffffn;
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x) byte |= 0x80;
    out.push(byte);
  } while (x);
  return Uint8Array.from(out);
}

/**
 * Parses `b[start, end)` as a message; undefined when it is not one (bad wire type, field
 * number 0, a record running past the end). An empty range is not taken for a message.
 */
export function parseMessage(b: Uint8Array, start = 0, end = b.length, depth = 0): WireField[] | undefined {
  if (end <= start) return undefined;
  const out: WireField[] = [];
  let pos = start;
  while (pos < end) {
    const tag = readVarint(b, pos, Math.min(end, pos + 5));
    if (!tag) return undefined;
    const num = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    if (num < 1 || num > 0x1fff_ffff) return undefined;
    const key = b.subarray(pos, tag.next);
    pos = tag.next;
    if (wire === 0) {
      const v = readVarint(b, pos, end);
      if (!v) return undefined;
      out.push({ num, wire, key, raw: b.subarray(pos, v.next) });
      pos = v.next;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > end) return undefined;
      out.push({ num, wire, key, raw: b.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 2) {
      const len = readVarint(b, pos, end);
      if (!len || len.value > BigInt(end - len.next)) return undefined;
      const from = len.next;
      const to = from + Number(len.value);
      const children = depth < MAX_DEPTH ? parseMessage(b, from, to, depth + 1) : undefined;
      out.push({ num, wire, key, raw: b.subarray(from, to), ...(children ? { children } : {}) });
      pos = to;
    } else return undefined;
  }
  return out;
}

/** Where a length prefix landed in serialized output: its offset and its byte count. */
export interface LengthSite {
  readonly at: number;
  readonly size: number;
  /** The length it encodes. */
  readonly value: number;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The bytes of a field's payload (wire 2): its children serialized, or its raw bytes. */
function payload(f: WireField): Uint8Array {
  return f.children ? serialize(f.children) : f.raw;
}

/**
 * Serializes fields back to bytes. With `sites`, records where every length prefix was
 * written (offsets in the returned buffer), for in-place length corruption.
 */
export function serialize(fields: readonly WireField[], sites?: LengthSite[], base = 0): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const push = (p: Uint8Array) => {
    parts.push(p);
    total += p.length;
  };
  for (const f of fields) {
    push(f.key);
    if (f.wire !== 2) {
      push(f.raw);
      continue;
    }
    let body: Uint8Array;
    let inner: LengthSite[] | undefined;
    if (f.children && sites) {
      inner = [];
      // Children are serialized at a base fixed below, once the prefix size is known.
      body = serialize(f.children, inner, 0);
    } else body = payload(f);
    const len = encodeVarint(f.lenOverride ?? BigInt(body.length));
    if (sites) {
      sites.push({ at: base + total, size: len.length, value: body.length });
      const bodyAt = base + total + len.length;
      if (inner) for (const s of inner) sites.push({ ...s, at: s.at + bodyAt });
    }
    push(len);
    push(body);
  }
  return concat(parts, total);
}

/** A field's address: indices from the top-level list down through `children`. */
export type FieldPath = readonly number[];

/** Every field in the tree with its path (pre-order). */
export function allFields(fields: readonly WireField[], prefix: number[] = [], out: { path: FieldPath; field: WireField }[] = []): { path: FieldPath; field: WireField }[] {
  fields.forEach((f, i) => {
    const path = [...prefix, i];
    out.push({ path, field: f });
    if (f.children) allFields(f.children, path, out);
  });
  return out;
}

/**
 * A copy of the tree with the field list holding `path`'s last index replaced by
 * `edit(list)` (copy on write along the path; untouched subtrees are shared).
 */
export function editList(fields: readonly WireField[], parentPath: FieldPath, edit: (list: WireField[]) => WireField[]): WireField[] {
  if (parentPath.length === 0) return edit([...fields]);
  const [i, ...rest] = parentPath;
  const f = fields[i];
  const copy = [...fields];
  copy[i] = { ...f, children: editList(f.children ?? [], rest, edit) };
  return copy;
}

/** A copy of the tree with the field at `path` replaced by `edit(field)` (or removed, for undefined). */
export function editField(fields: readonly WireField[], path: FieldPath, edit: (f: WireField) => WireField | WireField[] | undefined): WireField[] {
  const parent = path.slice(0, -1);
  const i = path[path.length - 1];
  return editList(fields, parent, (list) => {
    const r = edit(list[i]);
    list.splice(i, 1, ...(r === undefined ? [] : Array.isArray(r) ? r : [r]));
    return list;
  });
}
