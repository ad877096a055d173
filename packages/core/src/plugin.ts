import type { BackendFactory } from './backend.js';
import type { LayerCase } from './cases.js';
import type { KernelDefinition } from './kernel.js';
import type { AnyLayer } from './layer.js';

/** A package's front door: what `registry.use(plugin)` registers. Importing registers nothing. */
export interface Plugin {
  readonly name: string;
  readonly layers?: readonly AnyLayer[];
  readonly kernels?: readonly KernelDefinition<any, string>[];
  readonly backends?: readonly BackendFactory[];
  /** Test configurations of the plugin's layers, for the shared suites in `@hubel/core/testing`. */
  readonly cases?: readonly LayerCase<any>[];
}

export function definePlugin<const P extends Plugin>(plugin: P): P {
  return Object.freeze(plugin);
}
