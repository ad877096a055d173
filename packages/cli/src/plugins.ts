/**
 * `--plugin PATH`, accepted by every command and repeatable: a JavaScript module file (.js,
 * .mjs, or .ts where Node can load TypeScript) whose default export, or export named `plugin`,
 * is a Hubel plugin (`definePlugin({ name, layers, kernels, backends })` from @hubel/core). The
 * files are imported before the command runs and their plugins registered into the registry
 * every command makes with `cliRegistry()`, so a model with a third-party layer loads, trains,
 * exports and checks like any other. A file that is missing, fails to import, or exports no
 * plugin is an error naming the file.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HubelError, Registry, type Plugin } from '@hubel/core';
import { zooPlugins } from '@hubel/models';
import { UsageError, type FlagSpec } from './args.js';

/** The `--plugin` flag as shown in every command's help. */
export const pluginFlag: FlagSpec = {
  kind: 'string',
  meta: 'PATH',
  help: 'a JS module whose default export (or export named `plugin`) is a Hubel plugin (definePlugin from @hubel/core): its layers and kernels are registered before the model loads; repeatable',
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

/**
 * Imports the plugin module at `path` and returns its plugin. Throws a HubelError naming the file
 * when it is missing, does not import, exports no plugin, or clashes with the zoo's plugins.
 */
export async function loadPluginFile(path: string): Promise<Plugin> {
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
  if (!plugin) {
    const found = Object.keys(mod).length ? `exports: ${Object.keys(mod).join(', ')}` : 'no exports';
    throw new HubelError('format', `--plugin ${path}: no Hubel plugin found; the default export or the export named 'plugin' must be one, made with definePlugin({ name, layers, kernels }) from @hubel/core (${found})`);
  }
  try {
    new Registry().use(...zooPlugins, plugin);
  } catch (e) {
    throw new HubelError('format', `--plugin ${path}: plugin '${plugin.name}' cannot be registered (${(e as Error).message})`, { cause: e });
  }
  return plugin;
}

/** {@link loadPluginFile} for each path, in order. */
export async function loadPluginFiles(paths: readonly string[]): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const path of paths) plugins.push(await loadPluginFile(path));
  return plugins;
}

function isPlugin(v: unknown): v is Plugin {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  const list = (k: string) => p[k] === undefined || Array.isArray(p[k]);
  return typeof p.name === 'string' && list('layers') && list('kernels') && list('backends') && (p.layers !== undefined || p.kernels !== undefined || p.backends !== undefined);
}

const active = new AsyncLocalStorage<readonly Plugin[]>();

/**
 * Runs `fn` with `plugins` active: `cliRegistry()` called anywhere inside it (across awaits)
 * registers them. Scoped per call, so commands run in-process one after another do not share
 * plugins.
 */
export function withPlugins<T>(plugins: readonly Plugin[], fn: () => Promise<T>): Promise<T> {
  return active.run(plugins, fn);
}

/** The plugins given with `--plugin` to the command running now (none outside {@link withPlugins}). */
export function activePlugins(): readonly Plugin[] {
  return active.getStore() ?? [];
}
