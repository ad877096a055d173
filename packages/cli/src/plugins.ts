/**
 * `--plugin PATH`, accepted by every command and repeatable: a JavaScript module file (.js,
 * .mjs, or .ts where Node can load TypeScript) whose default export, or export named `plugin`,
 * is a Hubel plugin (`definePlugin({ name, layers, kernels, backends })` from @hubel/core). The
 * files are imported before the command runs and their plugins registered into the registry
 * every command makes with `cliRegistry()`, so a model with a third-party layer loads, trains,
 * exports and checks like any other. The module may also export `zoo`, an object of zoo entries
 * by name (shaped like @hubel/models' ZooEntry): `--model NAME` then builds them in every
 * command, and `hubel search --jobs` workers import the same files before their first trial. A
 * file that is missing, fails to import, or exports neither a plugin nor zoo entries is an error
 * naming the file.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HubelError, Registry, type Plugin } from '@hubel/core';
import { zoo as builtinZoo, zooPlugins, type ZooEntry } from '@hubel/models';
import { UsageError, type FlagSpec } from './args.js';

/** The `--plugin` flag as shown in every command's help. */
export const pluginFlag: FlagSpec = {
  kind: 'string',
  meta: 'PATH',
  help: 'a JS module whose default export (or export named `plugin`) is a Hubel plugin (definePlugin from @hubel/core): its layers and kernels are registered before the model loads; an export named `zoo` (zoo entries by name) adds models for --model NAME; repeatable',
};

/**
 * Splits every `--plugin PATH` / `--plugin=PATH` out of a command's arguments (up to a `--`);
 * returns the remaining arguments for the command and the paths in order. A `--plugin` without
 * a value is a UsageError.
 */
export function takePluginFlags(argv: readonly string[], command: string): { argv: string[]; paths: string[] } {
  const rest: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--plugin' || arg.startsWith('--plugin=')) {
      const value = arg === '--plugin' ? argv[++i] : arg.slice('--plugin='.length);
      if (value === undefined || value === '' || (arg === '--plugin' && value.startsWith('--'))) throw new UsageError(`hubel ${command}: --plugin needs a value (PATH)`);
      paths.push(value);
      continue;
    }
    rest.push(arg);
  }
  return { argv: rest, paths };
}

/** What one `--plugin PATH` module provides: a Hubel plugin, zoo entries, or both. */
export interface PluginModule {
  /** The module file, as an absolute path (what `hubel search --jobs` workers import again). */
  readonly file: string;
  /** The plugin (layers, kernels, backends): the default export or the export named `plugin`. */
  readonly plugin?: Plugin;
  /** Zoo entries by name, from the export named `zoo`: `--model NAME` accepts them in every command. */
  readonly zoo: Readonly<Record<string, ZooEntry<object>>>;
}

/**
 * Imports the plugin module at `path` and returns its plugin and zoo entries. Throws a HubelError
 * naming the file when it is missing, does not import, exports neither a plugin nor zoo
 * entries, has a malformed zoo entry or one named like a built-in model, or clashes with the
 * zoo's plugins.
 */
export async function loadPluginFile(path: string): Promise<PluginModule> {
  const file = resolve(path);
  if (!existsSync(file)) throw new HubelError('io', `--plugin ${path}: no such file`);
  if (!statSync(file).isFile()) throw new HubelError('io', `--plugin ${path}: not a file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new HubelError('format', `--plugin ${path}: cannot load the module (${(e as Error).message})`, { cause: e });
  }
  const plugin = [mod.default, mod.plugin].find(isPlugin);
  const zoo = mod.zoo === undefined ? {} : zooEntries(mod.zoo, path);
  if (!plugin && !Object.keys(zoo).length) {
    const found = Object.keys(mod).length ? `exports: ${Object.keys(mod).join(', ')}` : 'no exports';
    throw new HubelError('format', `--plugin ${path}: no Hubel plugin found; the default export or the export named 'plugin' must be one, made with definePlugin({ name, layers, kernels }) from @hubel/core, or the export named 'zoo' an object of zoo entries (${found})`);
  }
  if (plugin) {
    try {
      new Registry().use(...zooPlugins, plugin);
    } catch (e) {
      throw new HubelError('format', `--plugin ${path}: plugin '${plugin.name}' cannot be registered (${(e as Error).message})`, { cause: e });
    }
  }
  return { file, plugin, zoo };
}

/** {@link loadPluginFile} for each path, in order; two modules may not define the same zoo name. */
export async function loadPluginFiles(paths: readonly string[]): Promise<PluginModule[]> {
  const modules: PluginModule[] = [];
  for (const path of paths) {
    const m = await loadPluginFile(path);
    for (const name of Object.keys(m.zoo)) {
      const j = modules.findIndex((prior) => Object.hasOwn(prior.zoo, name));
      if (j >= 0) throw new HubelError('format', `--plugin ${path}: zoo entry '${name}' is also defined by --plugin ${paths[j]}`);
    }
    modules.push(m);
  }
  return modules;
}

/**
 * Checks a module's `zoo` export: an object of entries shaped like @hubel/models' ZooEntry
 * (`description`, `defaultInput` [C, H, W], `defaultClasses`, `build(options)` returning a
 * GraphBuilder; optional `knobs`, `variants` and `trainerPlugins`), none named like a built-in zoo model. `build`
 * always receives `inputShape` and `classes` (the entry's defaults where a command has no data).
 */
function zooEntries(v: unknown, path: string): Record<string, ZooEntry<object>> {
  const bad = (what: string) => new HubelError('format', `--plugin ${path}: ${what}`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`the export named 'zoo' must be an object of zoo entries by name, found ${Array.isArray(v) ? 'an array' : typeof v}`);
  const out: Record<string, ZooEntry<object>> = {};
  for (const [name, e] of Object.entries(v as Record<string, unknown>)) {
    const where = `zoo entry '${name}'`;
    if (Object.hasOwn(builtinZoo, name)) throw bad(`${where} has the name of a built-in zoo model (built in: ${Object.keys(builtinZoo).join(', ')})`);
    if (!/^[A-Za-z0-9][\w.-]*$/.test(name) || name.endsWith('.onnx')) throw bad(`${where}: a zoo name is letters, digits, '-', '_' and '.', not ending in .onnx`);
    if (typeof e !== 'object' || e === null) throw bad(`${where} must be an object { description, defaultInput, defaultClasses, build }`);
    const x = e as Record<string, unknown>;
    if (typeof x.build !== 'function') throw bad(`${where}: build must be a function (options) => GraphBuilder`);
    if (typeof x.description !== 'string') throw bad(`${where}: description must be a string`);
    const input = x.defaultInput;
    if (!Array.isArray(input) || input.length !== 3 || !input.every((d) => Number.isInteger(d) && d > 0)) throw bad(`${where}: defaultInput must be [C, H, W] of positive integers, found ${JSON.stringify(input)}`);
    if (!(Number.isInteger(x.defaultClasses) && (x.defaultClasses as number) >= 2)) throw bad(`${where}: defaultClasses must be an integer >= 2, found ${JSON.stringify(x.defaultClasses)}`);
    if (x.knobs !== undefined && !(Array.isArray(x.knobs) && x.knobs.every((k) => k === 'hidden' || k === 'dropout'))) throw bad(`${where}: knobs must be a list of 'hidden' and 'dropout', found ${JSON.stringify(x.knobs)}`);
    if (x.variants !== undefined && (typeof x.variants !== 'object' || x.variants === null)) throw bad(`${where}: variants must be an object of { description, options } by name`);
    if (x.trainerPlugins !== undefined && typeof x.trainerPlugins !== 'function') throw bad(`${where}: trainerPlugins must be a function (context) => TrainerPlugin[]`);
    // Commands without data (inspect, export) build with no input shape or class count: the entry's defaults.
    const entry = e as ZooEntry<{ inputShape?: readonly number[]; classes?: number }>;
    const build = (o: { inputShape?: readonly number[]; classes?: number } = {}) => entry.build({ ...o, inputShape: o.inputShape ?? entry.defaultInput, classes: o.classes ?? entry.defaultClasses });
    out[name] = { ...entry, build } as ZooEntry<object>;
  }
  return out;
}

function isPlugin(v: unknown): v is Plugin {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  const list = (k: string) => p[k] === undefined || Array.isArray(p[k]);
  return typeof p.name === 'string' && list('layers') && list('kernels') && list('backends') && (p.layers !== undefined || p.kernels !== undefined || p.backends !== undefined);
}

const active = new AsyncLocalStorage<readonly PluginModule[]>();

/**
 * Runs `fn` with the plugin modules active: `cliRegistry()` called anywhere inside it (across
 * awaits) registers their plugins, and `cliZooEntry()` finds their zoo entries. Scoped per call,
 * so commands run in-process one after another do not share plugins.
 */
export function withPlugins<T>(modules: readonly PluginModule[], fn: () => Promise<T>): Promise<T> {
  return active.run(modules, fn);
}

/** The plugins given with `--plugin` to the command running now (none outside {@link withPlugins}). */
export function activePlugins(): readonly Plugin[] {
  return (active.getStore() ?? []).flatMap((m) => (m.plugin ? [m.plugin] : []));
}

/** The files given with `--plugin` to the command running now, as absolute paths, in order. */
export function activePluginFiles(): readonly string[] {
  return (active.getStore() ?? []).map((m) => m.file);
}

/** The zoo entries of the `--plugin` modules of the command running now, by name. */
export function activeZoo(): Readonly<Record<string, ZooEntry<object>>> {
  return Object.assign({}, ...(active.getStore() ?? []).map((m) => m.zoo));
}
