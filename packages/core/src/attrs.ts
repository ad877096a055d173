import { HubelError } from './errors.js';

/**
 * Attribute schemas: each layer declares its attributes as data, with types, defaults and
 * ranges, so validation, ONNX export and the CLI all read the same description.
 */
export type AttrKind = 'int' | 'float' | 'ints' | 'floats' | 'string' | 'bool';
/** A checked attribute value: a number, a list of numbers, a string or a boolean. */
export type AttrValue = number | readonly number[] | string | boolean;

/** One attribute's declaration, built with {@link attr}: its kind, whether it is required, default and doc. */
export interface AttrSpec<T = AttrValue, Required extends boolean = boolean> {
  /** The value's kind; also picks the ONNX attribute type on export. */
  readonly kind: AttrKind;
  /** True when the attribute has neither a default nor `optional: true`: a node must set it. */
  readonly required: Required;
  /** Value used when a node leaves the attribute out. */
  readonly default?: T;
  /** One-line description for messages and the CLI (`''` when none was given). */
  readonly doc: string;
  /** Returns the checked value or throws a plain message (the caller adds the node and attribute). */
  check(value: unknown): T;
}

/** A layer's attribute declarations by name. */
export type AttrSchema = Record<string, AttrSpec<any, boolean>>;

/** Attribute values after defaults are applied. */
export type AttrValues<S extends AttrSchema> = { readonly [K in keyof S]: S[K] extends AttrSpec<infer T, boolean> ? T : never };

type RequiredKeys<S extends AttrSchema> = { [K in keyof S]: S[K] extends AttrSpec<any, true> ? K : never }[keyof S];
type OptionalKeys<S extends AttrSchema> = Exclude<keyof S, RequiredKeys<S>>;

/** What a user passes: required attributes must be there, the others may be. */
export type AttrInput<S extends AttrSchema> = { [K in RequiredKeys<S>]: AttrValues<S>[K] } & {
  [K in OptionalKeys<S>]?: AttrValues<S>[K];
};

/**
 * Options of a numeric attribute: bounds, and a doc line.
 * @inline
 */
interface NumOpts {
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive bounds. */
  gt?: number;
  /** Exclusive upper bound. */
  lt?: number;
  /** One-line description. */
  doc?: string;
}

function checkNumber(v: unknown, o: NumOpts, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`expected a finite number, found ${JSON.stringify(v)}`);
  if (integer && !Number.isInteger(v)) throw new Error(`expected an integer, found ${v}`);
  if (o.min !== undefined && v < o.min) throw new Error(`expected >= ${o.min}, found ${v}`);
  if (o.max !== undefined && v > o.max) throw new Error(`expected <= ${o.max}, found ${v}`);
  if (o.gt !== undefined && !(v > o.gt)) throw new Error(`expected > ${o.gt}, found ${v}`);
  if (o.lt !== undefined && !(v < o.lt)) throw new Error(`expected < ${o.lt}, found ${v}`);
  return v;
}

function checkList(v: unknown, o: NumOpts & { length?: number; minLength?: number; maxLength?: number }, integer: boolean): number[] {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new Error(`expected a list of numbers, found ${JSON.stringify(v)}`);
  const list = Array.from(v as ArrayLike<number>);
  if (o.length !== undefined && list.length !== o.length) throw new Error(`expected ${o.length} values, found ${list.length} (${JSON.stringify(list)})`);
  if (o.minLength !== undefined && list.length < o.minLength) throw new Error(`expected at least ${o.minLength} values, found ${list.length}`);
  if (o.maxLength !== undefined && list.length > o.maxLength) throw new Error(`expected at most ${o.maxLength} values, found ${list.length}`);
  list.forEach((x, i) => {
    try {
      checkNumber(x, o, integer);
    } catch (e) {
      throw new Error(`element ${i}: ${(e as Error).message}`);
    }
  });
  return list;
}

function make<T>(kind: AttrKind, o: { default?: T; optional?: boolean; doc?: string }, check: (v: unknown) => T): AttrSpec<any, any> {
  return Object.freeze({
    kind,
    required: o.default === undefined && !o.optional,
    default: o.default,
    doc: o.doc ?? '',
    check,
  });
}

/**
 * Options of a list attribute: numeric bounds on every element, and its length.
 * @inline
 */
type ListOpts = NumOpts & { length?: number; minLength?: number; maxLength?: number };

function int(o: NumOpts & { default: number }): AttrSpec<number, false>;
function int(o: NumOpts & { optional: true }): AttrSpec<number | undefined, false>;
function int(o?: NumOpts): AttrSpec<number, true>;
function int(o: NumOpts & { default?: number; optional?: boolean } = {}) {
  return make('int', o, (v) => checkNumber(v, o, true));
}
function float(o: NumOpts & { default: number }): AttrSpec<number, false>;
function float(o: NumOpts & { optional: true }): AttrSpec<number | undefined, false>;
function float(o?: NumOpts): AttrSpec<number, true>;
function float(o: NumOpts & { default?: number; optional?: boolean } = {}) {
  return make('float', o, (v) => checkNumber(v, o, false));
}
function ints(o: ListOpts & { default: readonly number[] }): AttrSpec<readonly number[], false>;
function ints(o: ListOpts & { optional: true }): AttrSpec<readonly number[] | undefined, false>;
function ints(o?: ListOpts): AttrSpec<readonly number[], true>;
function ints(o: ListOpts & { default?: readonly number[]; optional?: boolean } = {}) {
  return make('ints', o, (v) => Object.freeze(checkList(v, o, true)));
}
function floats(o: ListOpts & { default: readonly number[] }): AttrSpec<readonly number[], false>;
function floats(o: ListOpts & { optional: true }): AttrSpec<readonly number[] | undefined, false>;
function floats(o?: ListOpts): AttrSpec<readonly number[], true>;
function floats(o: ListOpts & { default?: readonly number[]; optional?: boolean } = {}) {
  return make('floats', o, (v) => Object.freeze(checkList(v, o, false)));
}
function string<const V extends string>(o: { oneOf: readonly V[]; default: NoInfer<V>; doc?: string }): AttrSpec<V, false>;
function string<const V extends string>(o: { oneOf: readonly V[]; doc?: string }): AttrSpec<V, true>;
function string(o: { default: string; doc?: string }): AttrSpec<string, false>;
function string(o?: { doc?: string }): AttrSpec<string, true>;
function string(o: { oneOf?: readonly string[]; default?: string; doc?: string } = {}) {
  return make('string', o, (v) => {
    if (typeof v !== 'string') throw new Error(`expected a string, found ${JSON.stringify(v)}`);
    if (o.oneOf && !o.oneOf.includes(v)) throw new Error(`expected one of ${o.oneOf.map((x) => `'${x}'`).join(', ')}, found '${v}'`);
    return v;
  });
}
function bool(o: { default: boolean; doc?: string }): AttrSpec<boolean, false>;
function bool(o?: { doc?: string }): AttrSpec<boolean, true>;
function bool(o: { default?: boolean; doc?: string } = {}) {
  return make('bool', o, (v) => {
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
    throw new Error(`expected a boolean, found ${JSON.stringify(v)}`);
  });
}

/** Attribute spec constructors: `attr.int({ min: 1, default: 1 })`, `attr.ints({ length: 2 })`, ... */
export const attr = Object.freeze({ int, float, ints, floats, string, bool });

/**
 * Applies defaults and validates `given` against `schema`. Throws a HubelError naming the
 * node, the layer, the attribute, what was expected and what was found; unknown attribute
 * names are errors that list the known ones.
 */
export function resolveAttrs<S extends AttrSchema>(
  schema: S,
  given: Record<string, unknown> | undefined,
  where: string,
): AttrValues<S> {
  const out: Record<string, unknown> = {};
  const input = given ?? {};
  for (const k of Object.keys(input)) {
    if (!(k in schema)) {
      const known = Object.keys(schema);
      throw new HubelError(
        'attribute',
        `${where}: unknown attribute '${k}' (known: ${known.length ? known.join(', ') : 'none'})`,
      );
    }
  }
  for (const [k, spec] of Object.entries(schema)) {
    const v = input[k];
    if (v === undefined) {
      if (spec.required) throw new HubelError('attribute', `${where}: attribute '${k}' is required${spec.doc ? ` (${spec.doc})` : ''}`);
      out[k] = spec.default;
      continue;
    }
    try {
      out[k] = spec.check(v);
    } catch (e) {
      throw new HubelError('attribute', `${where}: attribute '${k}': ${(e as Error).message}`);
    }
  }
  return Object.freeze(out) as AttrValues<S>;
}
