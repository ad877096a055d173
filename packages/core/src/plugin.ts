import type { BackendFactory } from './backend.js';
import type { LayerCase } from './cases.js';
import type { KernelDefinition } from './kernel.js';
import type { AnyLayer } from './layer.js';

/** A package's front door: what `registry.use(plugin)` registers. Importing registers nothing. */
export interface Plugin {
  /** The plugin's name, by convention its package name; used in error messages. */
  readonly name: string;
  /** Layer definitions to register by `(domain, type)`. */
  readonly layers?: readonly AnyLayer[];
  /** Kernels to register by `(layer, backend)`; kernels for backends that do not exist stay inert. */
  readonly kernels?: readonly KernelDefinition<any, string>[];
  /** Backend factories to register by name. */
  readonly backends?: readonly BackendFactory[];
  /** Test configurations of the plugin's layers, for the shared suites in `@hubel/core/testing`. */
  readonly cases?: readonly LayerCase<any>[];
}

/** Freezes a plugin object and keeps its literal type (so its `layers` and `kernels` stay typed). */
export function definePlugin<const P extends Plugin>(plugin: P): P {
  return Object.freeze(plugin);
}
