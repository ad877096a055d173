import { HubelError } from '@hubel/core';
import { WebGpuBackend, type WebGpuBackendOptions } from '../backend.js';

/** vitest's (or jest's) `describe`, with `skipIf`. */
export interface DescribeLike {
  (title: string, body: () => void): void;
  /** `describe` that registers the suite as skipped when `condition` is true. */
  skipIf(condition: boolean): (title: string, body: () => void) => void;
}

/** What a WebGPU test file gets: the backend, or the reason it has none. */
export interface GpuForTests {
  /** The shared backend, or undefined when there is no adapter (off CI only). */
  readonly backend: WebGpuBackend | undefined;
  /** Why the WebGPU suites skip (undefined when they run). */
  readonly reason: string | undefined;
  /**
   * Registers a suite with `describe`: it runs with the backend, or, when there is no adapter,
   * is registered skipped with the reason in its title (and printed). Tests inside must use
   * the backend only in their bodies.
   */
  describe(describe: DescribeLike, title: string, body: (backend: WebGpuBackend) => void): void;
}

let shared: Promise<GpuForTests> | undefined;

/**
 * The one entry point of every WebGPU test suite, in Node and in browsers (vitest's browser
 * mode). Creates (once per process or page) a backend on whatever adapter exists. Under
 * `CI=true` a missing adapter throws, so CI fails instead of skipping; elsewhere the suites
 * skip with a printed reason.
 */
export function gpuBackendOrSkip(options: WebGpuBackendOptions = {}): Promise<GpuForTests> {
  shared ??= (async () => {
    let backend: WebGpuBackend | undefined;
    let reason: string | undefined;
    try {
      backend = await WebGpuBackend.create(options);
    } catch (e) {
      reason = (e as Error).message;
      // Pages have no `process` (vitest's browser mode provides one, with CI from its config).
      if (typeof process !== 'undefined' && process.env?.CI === 'true') {
        const inNode = typeof process.versions?.node === 'string';
        const fix = inNode
          ? 'install libegl1 libgl1-mesa-dri libegl-dev; see shared/docs/webgpu-on-cpu.md'
          : "launch Chromium with --enable-unsafe-webgpu; without a GPU it uses the SwiftShader that Debian's chromium package ships";
        throw new HubelError('backend', `CI=true and no WebGPU adapter: the WebGPU suites must run in CI (${fix}). ${reason}`, { cause: e });
      }
      console.warn(`[webgpu] WebGPU suites skipped: ${reason}`);
    }
    return {
      backend,
      reason,
      describe(describe, title, body) {
        if (backend) {
          describe(`${title} [${backend.description}]`, () => body(backend!));
          return;
        }
        describe.skipIf(true)(`${title} [skipped: ${reason}]`, () => body(unavailable(reason!)));
      },
    };
  })();
  return shared;
}

/** A stand-in passed to skipped suites: any use throws with the skip reason. */
function unavailable(reason: string): WebGpuBackend {
  return new Proxy({} as WebGpuBackend, {
    get() {
      throw new HubelError('backend', `no WebGPU backend: ${reason}`);
    },
  });
}
