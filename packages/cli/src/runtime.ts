import { setImmediate as macrotask } from 'node:timers/promises';
import { CpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { HubelError, type Backend, type Registry, type Tensor, type TypedArray } from '@hubel/core';
import { zooRegistry } from '@hubel/models';

export type BackendChoice = 'cpu' | 'webgpu';

/** The CLI's registry: every zoo layer plugin and the CPU backend (WebGPU is added on demand). */
export function cliRegistry(): Registry {
  return zooRegistry(cpuBackend);
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
  return new InterruptibleCpuBackend();
}

/** Longest stretch of training without a turn of the event loop. */
const YIELD_MS = 50;

/**
 * The CPU backend, except that `read` lets the event loop run at most every 50 ms. On the
 * CPU every read resolves at once, so an epoch is one unbroken chain of microtasks and a
 * SIGINT handler (or any timer) would wait for the epoch's end; the trainer reads the loss
 * after every batch, so this bounds the Ctrl-C latency by one batch.
 */
class InterruptibleCpuBackend extends CpuBackend {
  #last = performance.now();

  override async read(t: Tensor): Promise<TypedArray> {
    const now = performance.now();
    if (now - this.#last > YIELD_MS) {
      await macrotask();
      this.#last = performance.now();
    }
    return super.read(t);
  }
}
