import type { Backend, BackendFactory } from './backend.js';
import type { LayerCase } from './cases.js';
import { HubelError } from './errors.js';
import type { KernelDefinition } from './kernel.js';
import { layerLabel, type AnyLayer } from './layer.js';
import type { Plugin } from './plugin.js';

/**
 * The three registries: backends by name, layers by (domain, type), kernels by
 * (layer, backend). A missing entry is an error that lists what is registered.
 */
export class Registry {
  readonly #layers = new Map<string, AnyLayer>();
  readonly #kernels = new Map<AnyLayer, Map<string, KernelDefinition<any, string>>>();
  readonly #backends = new Map<string, BackendFactory>();
  readonly #plugins = new Map<string, Plugin>();
  readonly #cases: LayerCase<any>[] = [];

  /** Registers a plugin's layers, kernels, backends and cases. Using the same plugin twice is a no-op. */
  use(...plugins: Plugin[]): this {
    for (const plugin of plugins) {
      const prev = this.#plugins.get(plugin.name);
      if (prev === plugin) continue;
      if (prev) throw new HubelError('graph', `a different plugin named '${plugin.name}' is already registered`);
      this.#plugins.set(plugin.name, plugin);
      for (const l of plugin.layers ?? []) this.registerLayer(l);
      for (const k of plugin.kernels ?? []) this.registerKernel(k);
      for (const b of plugin.backends ?? []) this.registerBackend(b);
      this.#cases.push(...(plugin.cases ?? []));
    }
    return this;
  }

  /** Registers one layer definition under `domain::type`; throws if another definition holds the key. */
  registerLayer(def: AnyLayer): void {
    const prev = this.#layers.get(def.key);
    if (prev && prev !== def) throw new HubelError('graph', `layer ${layerLabel(def)} is already registered by another definition`);
    this.#layers.set(def.key, def);
  }

  /** Registers one kernel (and its layer), replacing an earlier kernel for the same `(layer, backend)`. */
  registerKernel(k: KernelDefinition<any, string>): void {
    this.registerLayer(k.layer);
    let byBackend = this.#kernels.get(k.layer);
    if (!byBackend) this.#kernels.set(k.layer, (byBackend = new Map()));
    byBackend.set(k.backend, k);
  }

  /** Registers a backend factory under its name, replacing an earlier one. */
  registerBackend(f: BackendFactory): void {
    this.#backends.set(f.name, f);
  }

  /** The plugins registered with {@link Registry.use}, in registration order. */
  get plugins(): readonly Plugin[] {
    return [...this.#plugins.values()];
  }

  /** Every registered layer definition. */
  get layers(): readonly AnyLayer[] {
    return [...this.#layers.values()];
  }

  /** The test cases of every registered plugin, for the shared suites. */
  get cases(): readonly LayerCase<any>[] {
    return this.#cases;
  }

  /** Whether a layer is registered as `(domain, type)`. */
  hasLayer(domain: string, type: string): boolean {
    return this.#layers.has(`${domain}::${type}`);
  }

  /** The layer registered as (domain, type); throws listing the registered layers. */
  layer(domain: string, type: string): AnyLayer {
    const def = this.#layers.get(`${domain}::${type}`);
    if (!def) {
      const known = this.layers.map(layerLabel).sort();
      throw new HubelError(
        'unknown-layer',
        `unknown layer type ${layerLabel({ domain, type })} (registered: ${known.length ? known.join(', ') : 'none — call registry.use(plugin) first'})`,
      );
    }
    return def;
  }

  /** The kernel of `layer` on `backend`; throws naming both and listing what is registered. */
  kernel(layer: AnyLayer, backend: string, where?: string): KernelDefinition<any, string> {
    const k = this.#kernels.get(layer)?.get(backend);
    if (k) return k;
    const forLayer = [...(this.#kernels.get(layer)?.keys() ?? [])];
    const forBackend = [...this.#kernels.entries()].filter(([, m]) => m.has(backend)).map(([l]) => layerLabel(l));
    throw new HubelError(
      'unknown-kernel',
      `${where ? `${where}: ` : ''}no kernel for layer ${layerLabel(layer)} on backend '${backend}'` +
        ` (${layerLabel(layer)} has kernels for: ${forLayer.length ? forLayer.join(', ') : 'no backend — is its plugin registered?'};` +
        ` backend '${backend}' has kernels for: ${forBackend.length ? forBackend.sort().join(', ') : 'nothing'})`,
    );
  }

  /** Whether `layer` has a kernel on the backend named `backend`. */
  hasKernel(layer: AnyLayer, backend: string): boolean {
    return this.#kernels.get(layer)?.has(backend) ?? false;
  }

  /** Creates a registered backend by name. */
  async createBackend(name: string, options?: Record<string, unknown>): Promise<Backend> {
    const f = this.#backends.get(name);
    if (!f) {
      throw new HubelError('unknown-backend', `unknown backend '${name}' (registered: ${[...this.#backends.keys()].join(', ') || 'none'})`);
    }
    return f.create(options);
  }
}

/** A registry for convenience; libraries should accept a registry argument rather than rely on it. */
export const defaultRegistry = new Registry();
