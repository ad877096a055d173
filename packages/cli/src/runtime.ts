import { CpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, type Backend, type Registry } from '@hubel/core';
import { zoo, zooEntry, zooRegistry } from '@hubel/models';
import { activePlugins, activeZoo } from './plugins.js';

export type BackendChoice = 'cpu' | 'webgpu';

/**
 * The CLI's registry: every zoo layer plugin, the CPU backend (WebGPU is added on demand), and
 * the plugins given with `--plugin` to the command running now.
 */
export function cliRegistry(): Registry {
  return zooRegistry(cpuBackend, ...activePlugins());
}

/**
 * The zoo entry `--model NAME` names: a built-in one, or one exported as `zoo` by a `--plugin`
 * module of the command running now. Throws listing both kinds of names.
 */
export function cliZooEntry(name: string): ReturnType<typeof zooEntry> {
  const extra = activeZoo();
  if (Object.hasOwn(extra, name)) return extra[name] as ReturnType<typeof zooEntry>;
  if (Object.hasOwn(zoo, name) || !Object.keys(extra).length) return zooEntry(name);
  throw new HubelError('attribute', `unknown model '${name}' (known: ${Object.keys(zoo).join(', ')}; from --plugin: ${Object.keys(extra).join(', ')}; or a path to an .onnx file)`);
}

/**
 * Creates the backend named on the command line. WebGPU is loaded only when asked for, and a
 * missing adapter is an error, never a silent fallback to the CPU.
 */
export async function createBackend(registry: Registry, name: BackendChoice): Promise<Backend> {
  if (name === 'webgpu') {
    const { webgpuBackend } = await import('@hubel/backend-webgpu');
    registry.use(webgpuBackend);
    try {
      return await registry.createBackend('webgpu');
    } catch (e) {
      throw new HubelError('backend', `--backend webgpu: no usable WebGPU device (${(e as Error).message}); use --backend cpu`, { cause: e });
    }
  }
  // The trainer yields to the event loop between batches, so Ctrl-C is handled within one batch.
  return new CpuBackend();
}
