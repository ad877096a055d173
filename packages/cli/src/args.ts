/**
 * A small command-line flag parser: `--name value`, `--name=value`, boolean `--name`, and
 * positionals. Each command declares its flags; an unknown flag, a missing value or a value
 * of the wrong kind is a `UsageError` naming the flag and listing the known ones.
 */
/**
 * The kind of value a flag takes.
 * @inline
 */
export type FlagKind = 'string' | 'int' | 'number' | 'boolean';

/** One flag a command accepts. */
export interface FlagSpec {
  /** How the value is parsed and checked. */
  readonly kind: FlagKind;
  /** One line for the command's help. */
  readonly help: string;
  /** Shown in help; the command applies its own defaults. */
  readonly default?: string;
  /** Allowed values for string flags. */
  readonly oneOf?: readonly string[];
  /** Placeholder in help, e.g. DIR. */
  readonly meta?: string;
}

/** A command's flags by name (without the leading `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Bad command-line usage (exit code 2, with the command's help hint). */
export class UsageError extends Error {
  /** Always `'UsageError'`. */
  override readonly name = 'UsageError';
}

/** What {@link parseArgs} returns. */
export interface Parsed {
  /** Flag values by name, parsed to their kind; absent flags are absent. */
  readonly flags: Readonly<Record<string, string | number | boolean>>;
  /** Arguments that are not flags or flag values, in order. */
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` against `specs`: `--name value`, `--name=value`, boolean `--name`, and positionals.
 * An unknown flag, a missing value or a value of the wrong kind throws a {@link UsageError}
 * naming the flag and listing the known ones (`command` names the command in the message).
 */
export function parseArgs(argv: readonly string[], specs: FlagSpecs, command: string): Parsed {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`hubel ${command}: unknown flag --${name} (known: ${Object.keys(specs).map((k) => `--${k}`).join(', ')})`);
    let raw: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (spec.kind === 'boolean') {
      if (raw !== undefined && raw !== 'true' && raw !== 'false') throw new UsageError(`hubel ${command}: --${name} takes no value or true/false, found '${raw}'`);
      flags[name] = raw !== 'false';
      continue;
    }
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`hubel ${command}: --${name} needs a value (${spec.meta ?? spec.kind})`);
    }
    flags[name] = convert(raw, name, spec, command);
  }
  return { flags, positionals };
}

function convert(raw: string, name: string, spec: FlagSpec, command: string): string | number {
  if (spec.kind === 'string') {
    if (spec.oneOf && !spec.oneOf.includes(raw)) throw new UsageError(`hubel ${command}: --${name} must be one of ${spec.oneOf.join(', ')}, found '${raw}'`);
    return raw;
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (spec.kind === 'int' && !Number.isInteger(v))) {
    throw new UsageError(`hubel ${command}: --${name} must be ${spec.kind === 'int' ? 'an integer' : 'a number'}, found '${raw}'`);
  }
  return v;
}

/** Help text for a command's flags, one per line. */
export function flagHelp(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([k, s]) => [`--${k}${s.kind === 'boolean' ? '' : ` ${s.meta ?? s.kind.toUpperCase()}`}`, `${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n');
}
