// A search space over the training flags: each dimension is a list of choices (`batch=32|64`)
// or a range (`lr=1e-4..1e-2:log`), sampled uniformly or log-uniformly. Parsed from the inline
// form of `hubel search --space` or from a JSON file's object; every error names the flag.
import { HubelError } from '@hubel/core';

/** The training settings a search may vary, by their `--space` key. */
export const SEARCH_KEYS = ['lr', 'wd', 'batch', 'optimizer', 'schedule', 'dropout', 'hidden'] as const;

/** A key of {@link SEARCH_KEYS}: `wd` is the weight decay, `hidden` and `dropout` the zoo model's size options. */
export type SearchKey = (typeof SEARCH_KEYS)[number];

/** One value of a configuration: a number, or a name (`optimizer`, `schedule`). */
export type SearchValue = number | string;

/** One dimension of a {@link SearchSpace}: a list of choices or a numeric range. */
export type SearchDimension =
  | { readonly key: SearchKey; readonly kind: 'choice'; readonly values: readonly SearchValue[] }
  | { readonly key: SearchKey; readonly kind: 'range'; readonly min: number; readonly max: number; readonly log: boolean; readonly integer: boolean };

/** Dimensions in the order given; no key twice. */
export type SearchSpace = readonly SearchDimension[];

/** One point of a search space: a value for every dimension, by key. */
export type SearchConfig = Readonly<Partial<Record<SearchKey, SearchValue>>>;

const INTEGER_KEYS: readonly SearchKey[] = ['batch', 'hidden'];
const NAME_VALUES: Partial<Record<SearchKey, readonly string[]>> = { optimizer: ['adam', 'sgd'], schedule: ['cosine', 'step', 'none'] };

/**
 * Parses a search space: the inline form `lr=1e-4..1e-2:log,batch=32|64,optimizer=adam|sgd`
 * (a range is `MIN..MAX` with an optional `:log`), or an object as read from a JSON file whose
 * values are arrays of choices, inline strings, or `{ "min": …, "max": …, "log": true }`.
 * Throws a HubelError naming `flag` for an empty space, an unknown or repeated key, a range
 * with min > max or a log range that is not positive, or a value a key cannot take.
 */
export function parseSearchSpace(spec: string | Readonly<Record<string, unknown>>, flag = '--space'): SearchSpace {
  const bad = (msg: string) => new HubelError('attribute', `${flag}: ${msg}`);
  const entries: [string, unknown][] = typeof spec === 'string'
    ? spec.split(',').map((s) => s.trim()).filter(Boolean).map((part) => {
        const eq = part.indexOf('=');
        if (eq <= 0) throw bad(`'${part}' is not KEY=VALUES (e.g. lr=1e-4..1e-2:log or batch=32|64)`);
        return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
      })
    : Object.entries(spec);
  if (!entries.length) throw bad(`the search space is empty (e.g. --space lr=1e-4..1e-2:log,batch=32|64; keys: ${SEARCH_KEYS.join(', ')})`);
  const seen = new Set<string>();
  return entries.map(([key, raw]) => {
    if (!(SEARCH_KEYS as readonly string[]).includes(key)) throw bad(`unknown key '${key}' (known: ${SEARCH_KEYS.join(', ')})`);
    if (seen.has(key)) throw bad(`key '${key}' is given twice`);
    seen.add(key);
    return dimension(key as SearchKey, raw, bad);
  });
}

function dimension(key: SearchKey, raw: unknown, bad: (m: string) => HubelError): SearchDimension {
  const names = NAME_VALUES[key];
  const integer = INTEGER_KEYS.includes(key);
  const number = (v: unknown): number => {
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(x)) throw bad(`${key}: '${String(v)}' is not a number`);
    if (integer && !Number.isInteger(x)) throw bad(`${key}: ${x} is not an integer`);
    return x;
  };
  const checkValue = (v: SearchValue): SearchValue => {
    if (names) {
      if (typeof v !== 'string' || !names.includes(v)) throw bad(`${key}: '${String(v)}' is not one of ${names.join(', ')}`);
      return v;
    }
    const x = number(v);
    if (key === 'dropout' && !(x >= 0 && x < 1)) throw bad(`dropout: ${x} is not a ratio in [0, 1)`);
    if ((key === 'lr' || integer) && !(x > 0)) throw bad(`${key}: ${x} must be positive`);
    if (key === 'wd' && !(x >= 0)) throw bad(`wd: ${x} must be non-negative`);
    return x;
  };
  const range = (lo: unknown, hi: unknown, log: boolean): SearchDimension => {
    if (names) throw bad(`${key} takes a list of names (${names.join('|')}), not a range`);
    const min = checkValue(number(lo)) as number, max = checkValue(number(hi)) as number;
    if (min > max) throw bad(`${key}: the range ${min}..${max} is empty (low > high)`);
    if (log && !(min > 0)) throw bad(`${key}: a log range must be positive, found ${min}..${max}`);
    return { key, kind: 'range', min, max, log, integer };
  };
  if (Array.isArray(raw)) {
    if (!raw.length) throw bad(`${key}: no values`);
    return choices(key, raw.map((v) => checkValue(v as SearchValue)), bad);
  }
  if (raw !== null && typeof raw === 'object') {
    const o = raw as { min?: unknown; max?: unknown; log?: unknown };
    if (o.min === undefined || o.max === undefined) throw bad(`${key}: a range object needs "min" and "max"`);
    return range(o.min, o.max, o.log === true);
  }
  if (typeof raw === 'number') return choices(key, [checkValue(raw)], bad);
  if (typeof raw !== 'string' || raw === '') throw bad(`${key}: no values`);
  const m = /^(.*?)\.\.(.*?)(:log)?$/.exec(raw);
  if (m) return range(m[1], m[2], m[3] !== undefined);
  return choices(key, raw.split('|').map((v) => checkValue(names ? v.trim() : number(v))), bad);
}

function choices(key: SearchKey, values: SearchValue[], bad: (m: string) => HubelError): SearchDimension {
  const unique = new Set(values);
  if (unique.size !== values.length) throw bad(`${key}: a value is listed twice (${values.join('|')})`);
  return { key, kind: 'choice', values };
}

/** The inline form of a configuration, in the space's key order: `lr=0.001,batch=32`. */
export function formatConfig(config: SearchConfig): string {
  return Object.entries(config).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`).join(',');
}
