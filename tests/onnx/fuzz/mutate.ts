// Mutations of real .onnx files. Input `index` of a run with `seed` is a pure function of
// (corpus, seed, index): a failure found by input 81,234 is replayed by that pair alone.
import { allFields, editField, editList, encodeVarint, parseMessage, serialize, type FieldPath, type LengthSite, type WireField } from './wire.js';

/** A small, fast, seedable generator (splitmix32 → xorshift-style mixing), independent of Hubel's Rng. */
export class FuzzRng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    let z = (this.#s = (this.#s + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** A uniform integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  /** A uniform element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

/** The generator for input `index` of a run with `seed` (the pair hashed, so neighbours are unrelated). */
export function inputRng(seed: number, index: number): FuzzRng {
  const r = new FuzzRng(Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ index);
  r.u32();
  return new FuzzRng(r.u32() ^ Math.imul(index + 1, 0x9e3779b9));
}

/** A corpus file, parsed once. */
export interface CorpusEntry {
  readonly name: string;
  /** Zoo exports are drawn for ZOO_SHARE of the inputs, whatever the number of conformance files. */
  readonly group?: 'zoo' | 'conformance';
  readonly bytes: Uint8Array;
  readonly tree: readonly WireField[];
}

/** Parses corpus files (each must be a well-formed protobuf message that re-serializes to itself). */
export function prepareCorpus(files: readonly { name: string; group?: 'zoo' | 'conformance'; bytes: Uint8Array }[]): CorpusEntry[] {
  return files.map((f) => {
    const tree = parseMessage(f.bytes);
    if (!tree) throw new Error(`fuzz corpus: ${f.name} does not parse as a protobuf message`);
    // Mutations edit the tree and re-serialize it: the untouched tree must give the file back.
    const again = serialize(tree);
    if (again.length !== f.bytes.length || again.some((b, i) => b !== f.bytes[i])) throw new Error(`fuzz corpus: ${f.name} does not re-serialize to its own bytes`);
    return { ...f, tree };
  });
}

/** Share of the inputs mutated from zoo exports (the files Hubel writes) when both groups exist. */
export const ZOO_SHARE = 0.4;

/** What input `index` is: which corpus file, the mutations applied, and the bytes. */
export interface Mutant {
  readonly index: number;
  readonly source: string;
  readonly ops: readonly string[];
  readonly bytes: Uint8Array;
}

// Values that reach interesting branches: zero, one, sign, byte and word edges, int64
// extremes, the 2^53 edge of exact doubles, a 10^12 dimension.
const VARINTS: readonly bigint[] = [
  0n, 1n, 2n, 3n, 7n, 16n, 127n, 128n, 255n, 256n, 1000n, 65535n, 65536n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n,
  1_000_000_000_000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 2n, 2n ** 64n - 1000n,
];
const BYTES = [0x00, 0x01, 0x02, 0x08, 0x0a, 0x10, 0x12, 0x1a, 0x22, 0x3a, 0x42, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const FLOAT_BITS = [0x7fc00000, 0x7f800000, 0xff800000, 0x80000000, 0x00000000, 0x00000001, 0x7f7fffff, 0x3f800000, 0xbf800000, 0x4b800000];

const TREE_OPS = ['length', 'length-in-place', 'varint', 'fixed', 'duplicate', 'delete', 'copy-payload', 'payload-edit', 'insert-field', 'swap'] as const;
const RAW_OPS = ['flip', 'byte', 'truncate', 'insert-bytes', 'delete-bytes'] as const;
type Op = (typeof TREE_OPS)[number] | (typeof RAW_OPS)[number];

// How often each operator is drawn (out of the sum).
const WEIGHTS: Readonly<Record<Op, number>> = {
  length: 10, 'length-in-place': 8, varint: 14, fixed: 3, duplicate: 10, delete: 10, 'copy-payload': 8, 'payload-edit': 7, 'insert-field': 4, swap: 4,
  flip: 8, byte: 6, truncate: 5, 'insert-bytes': 4, 'delete-bytes': 3,
};
const OPS = Object.keys(WEIGHTS) as Op[];
const TOTAL_WEIGHT = OPS.reduce((s, o) => s + WEIGHTS[o], 0);

function drawOp(r: FuzzRng): Op {
  let x = r.int(TOTAL_WEIGHT);
  for (const o of OPS) if ((x -= WEIGHTS[o]) < 0) return o;
  return 'flip';
}

const isTreeOp = (o: Op) => (TREE_OPS as readonly string[]).includes(o);

function varintOf(raw: Uint8Array): bigint {
  let v = 0n;
  for (let i = raw.length - 1; i >= 0; i--) v = (v << 7n) | BigInt(raw[i] & 0x7f);
  return v;
}

/** A new varint value: an interesting constant, the old value nudged, or random. */
function newVarint(r: FuzzRng, old: bigint): bigint {
  switch (r.int(4)) {
    case 0:
    case 1: return r.pick(VARINTS);
    case 2: return (old + BigInt(r.int(9) - 4)) & 0xffff_ffff_ffff_ffffn;
    default: return BigInt(r.u32()) >> BigInt(r.int(32));
  }
}

/** A new length for a payload of `len` bytes: nudged, zero, or far beyond what the file holds. */
function newLength(r: FuzzRng, len: number): bigint {
  switch (r.int(8)) {
    case 0: return BigInt(len + 1);
    case 1: return BigInt(Math.max(0, len - 1));
    case 2: return BigInt(len + 1 + r.int(64));
    case 3: return BigInt(r.int(len + 1));
    case 4: return 0n;
    case 5: return r.pick([0x7fff_ffffn, 0xffff_ffffn, 0x1_0000_0000n + BigInt(len), 2n ** 62n, 2n ** 63n - 1n, 2n ** 64n - 1n]);
    case 6: return BigInt(len * 2 + r.int(1 << 16));
    default: return BigInt(len) + BigInt(r.int(1 << 20));
  }
}

type Indexed = { path: FieldPath; field: WireField };

function randomField(r: FuzzRng): WireField {
  const num = r.chance(0.8) ? 1 + r.int(25) : 1 + r.int(0x1fff_ffff);
  const wire = r.pick([0, 1, 2, 5] as const);
  const key = encodeVarint((BigInt(num) << 3n) | BigInt(wire));
  if (wire === 0) return { num, wire, key, raw: encodeVarint(r.pick(VARINTS)) };
  if (wire === 1 || wire === 5) return { num, wire, key, raw: Uint8Array.from({ length: wire === 1 ? 8 : 4 }, () => r.int(256)) };
  return { num, wire, key, raw: Uint8Array.from({ length: r.int(24) }, () => r.int(256)) };
}

/** One structure-aware mutation; returns the new tree and a description. */
function treeOp(op: Op, tree: WireField[], r: FuzzRng): { tree: WireField[]; what: string } | undefined {
  const all: Indexed[] = allFields(tree);
  if (all.length === 0) return undefined;
  const pickWhere = (ok: (f: WireField) => boolean): Indexed | undefined => {
    // Rejection sampling first (cheap), then a full scan.
    for (let k = 0; k < 12; k++) {
      const c = all[r.int(all.length)];
      if (ok(c.field)) return c;
    }
    const fit = all.filter((c) => ok(c.field));
    return fit.length ? r.pick(fit) : undefined;
  };
  const at = (c: Indexed) => `field ${c.field.num} at /${c.path.join('/')}`;
  switch (op) {
    case 'length': {
      const c = pickWhere((f) => f.wire === 2);
      if (!c) return undefined;
      const len = serialize(c.field.children ?? []).length || c.field.raw.length;
      const v = newLength(r, len);
      return { tree: editField(tree, c.path, (f) => ({ ...f, lenOverride: v })), what: `length of ${at(c)}: ${len} → ${v}` };
    }
    case 'varint': {
      const c = pickWhere((f) => f.wire === 0);
      if (!c) return undefined;
      const old = varintOf(c.field.raw);
      const v = newVarint(r, old);
      return { tree: editField(tree, c.path, (f) => ({ ...f, raw: encodeVarint(v) })), what: `varint ${at(c)}: ${old} → ${v}` };
    }
    case 'fixed': {
      const c = pickWhere((f) => f.wire === 1 || f.wire === 5);
      if (!c) return undefined;
      const raw = Uint8Array.from(c.field.raw);
      const dv = new DataView(raw.buffer);
      const bits = r.chance(0.6) ? r.pick(FLOAT_BITS) : r.u32();
      dv.setUint32(raw.length - 4, bits, true);
      return { tree: editField(tree, c.path, (f) => ({ ...f, raw })), what: `fixed ${at(c)} high word → 0x${bits.toString(16)}` };
    }
    case 'duplicate': {
      const c = r.pick(all);
      const times = r.chance(0.9) ? 1 : 2 + r.int(6);
      const atEnd = r.chance(0.3);
      const copies = Array.from({ length: times }, () => c.field);
      if (atEnd) return { tree: editList(tree, c.path.slice(0, -1), (list) => [...list, ...copies]), what: `duplicate ${at(c)} ×${times} at the end` };
      return { tree: editField(tree, c.path, (f) => [f, ...copies]), what: `duplicate ${at(c)} ×${times}` };
    }
    case 'delete': {
      const c = r.pick(all);
      return { tree: editField(tree, c.path, () => undefined), what: `delete ${at(c)}` };
    }
    case 'copy-payload': {
      // Another field's value with the same wire type (names onto names: cycles, clashes).
      const c = r.pick(all);
      const same = all.filter((d) => d.field.wire === c.field.wire && d !== c);
      if (!same.length) return undefined;
      const pref = same.filter((d) => d.field.num === c.field.num);
      const d = pref.length && r.chance(0.7) ? r.pick(pref) : r.pick(same);
      return { tree: editField(tree, c.path, (f) => ({ ...f, raw: d.field.raw, children: d.field.children })), what: `copy value of ${at(d)} onto ${at(c)}` };
    }
    case 'payload-edit': {
      const c = pickWhere((f) => f.wire === 2);
      if (!c) return undefined;
      const p = c.field.children ? serialize(c.field.children) : c.field.raw;
      let raw: Uint8Array;
      let what: string;
      const k = r.int(4);
      if (k === 0 && p.length) {
        const cut = r.int(p.length);
        raw = p.slice(0, cut);
        what = `cut payload of ${at(c)} to ${cut} of ${p.length} bytes`;
      } else if (k === 1) {
        const extra = 1 + (r.chance(0.5) ? r.int(8) : r.int(4096));
        raw = new Uint8Array(p.length + extra);
        raw.set(p);
        for (let i = p.length; i < raw.length; i++) raw[i] = r.int(256);
        what = `extend payload of ${at(c)} by ${extra} bytes`;
      } else if (k === 2 && p.length) {
        raw = p.slice();
        const i = r.int(p.length);
        raw[i] = r.chance(0.5) ? r.pick(BYTES) : r.int(256);
        what = `payload byte ${i} of ${at(c)} → ${raw[i]}`;
      } else {
        raw = new Uint8Array(0);
        what = `empty payload of ${at(c)}`;
      }
      return { tree: editField(tree, c.path, (f) => ({ ...f, raw, children: undefined })), what };
    }
    case 'insert-field': {
      const parents = all.filter((c) => c.field.children);
      const f = randomField(r);
      if (!parents.length || r.chance(0.2)) return { tree: [...tree, f], what: `insert field ${f.num} (wire ${f.wire}) at top level` };
      const c = r.pick(parents);
      return { tree: editList(tree, c.path, (list) => (list.splice(r.int(list.length + 1), 0, f), list)), what: `insert field ${f.num} (wire ${f.wire}) into ${at(c)}` };
    }
    case 'swap': {
      const c = pickWhere((f) => !!f.children && f.children.length >= 2);
      if (!c) return undefined;
      const n = c.field.children!.length;
      const i = r.int(n);
      const j = r.int(n);
      return {
        tree: editList(tree, c.path, (list) => {
          [list[i], list[j]] = [list[j], list[i]];
          return list;
        }),
        what: `swap children ${i} and ${j} of ${at(c)}`,
      };
    }
    default:
      return undefined;
  }
}

/** One byte-level mutation of the serialized file. */
function rawOp(op: Op, b: Uint8Array, r: FuzzRng, sites: readonly LengthSite[] | undefined): { bytes: Uint8Array; what: string } {
  const n = b.length;
  switch (op) {
    case 'flip': {
      const out = b.slice();
      const i = r.int(n);
      const bit = r.int(8);
      out[i] ^= 1 << bit;
      return { bytes: out, what: `flip bit ${bit} of byte ${i}` };
    }
    case 'byte': {
      const out = b.slice();
      const i = r.int(n);
      out[i] = r.chance(0.6) ? r.pick(BYTES) : r.int(256);
      return { bytes: out, what: `byte ${i} → 0x${out[i].toString(16)}` };
    }
    case 'truncate': {
      const cut = r.chance(0.5) ? r.int(n) : Math.max(0, n - 1 - r.int(Math.min(n, 64)));
      return { bytes: b.slice(0, cut), what: `truncate to ${cut} of ${n} bytes` };
    }
    case 'insert-bytes': {
      const i = r.int(n + 1);
      const k = 1 + r.int(16);
      const out = new Uint8Array(n + k);
      out.set(b.subarray(0, i));
      for (let j = 0; j < k; j++) out[i + j] = r.chance(0.5) ? r.pick(BYTES) : r.int(256);
      out.set(b.subarray(i), i + k);
      return { bytes: out, what: `insert ${k} random bytes at ${i}` };
    }
    case 'delete-bytes': {
      const i = r.int(n);
      const k = 1 + r.int(Math.min(16, n - i));
      const out = new Uint8Array(n - k);
      out.set(b.subarray(0, i));
      out.set(b.subarray(i + k), i);
      return { bytes: out, what: `delete ${k} bytes at ${i}` };
    }
    case 'length-in-place': {
      // A length prefix rewritten where it stands; the enclosing lengths are left as they were.
      if (!sites?.length) return rawOp('flip', b, r, sites);
      const s = r.pick(sites);
      const v = encodeVarint(newLength(r, s.value));
      const out = new Uint8Array(n - s.size + v.length);
      out.set(b.subarray(0, s.at));
      out.set(v, s.at);
      out.set(b.subarray(s.at + s.size), s.at + v.length);
      return { bytes: out, what: `length at byte ${s.at} rewritten in place: ${s.value} → ${varintOf(v)}` };
    }
    default:
      return rawOp('flip', b, r, sites);
  }
}

/** Input `index` of the run with `seed`: a corpus file with 1–4 mutations. */
export function mutant(corpus: readonly CorpusEntry[], seed: number, index: number): Mutant {
  const r = inputRng(seed, index);
  const zooFiles = corpus.filter((e) => e.group === 'zoo');
  const others = corpus.filter((e) => e.group !== 'zoo');
  const from = zooFiles.length && others.length ? (r.chance(ZOO_SHARE) ? zooFiles : others) : corpus;
  const entry = from[r.int(from.length)];
  const count = r.chance(0.6) ? 1 : r.chance(0.6) ? 2 : 3 + r.int(2);
  const ops: Op[] = Array.from({ length: count }, () => drawOp(r));
  // Structure-aware edits first (they need the tree), then byte-level edits of the result.
  ops.sort((a, b) => Number(isTreeOp(b) && b !== 'length-in-place') - Number(isTreeOp(a) && a !== 'length-in-place'));
  let tree = entry.tree as WireField[];
  const done: string[] = [];
  let bytes: Uint8Array | undefined;
  let sites: LengthSite[] | undefined;
  for (const op of ops) {
    if (isTreeOp(op) && op !== 'length-in-place' && bytes === undefined) {
      const res = treeOp(op, tree, r);
      if (res) {
        tree = res.tree;
        done.push(res.what);
      }
      continue;
    }
    if (bytes === undefined) {
      sites = op === 'length-in-place' ? [] : undefined;
      bytes = tree === entry.tree ? entry.bytes : serialize(tree, sites);
      if (op === 'length-in-place' && tree === entry.tree) serialize(tree, sites);
    } else if (op === 'length-in-place') {
      // After byte edits the tree no longer describes the file: re-parse for its length prefixes.
      const t = parseMessage(bytes);
      sites = [];
      if (t) serialize(t, sites);
    }
    if (bytes.length === 0) break;
    const res = rawOp(op, bytes, r, sites);
    bytes = res.bytes;
    sites = undefined;
    done.push(res.what);
  }
  bytes ??= tree === entry.tree ? entry.bytes : serialize(tree);
  return { index, source: entry.name, ops: done, bytes };
}
