// The browser path: device acquisition through `navigator.gpu`, exercised in Node by putting
// Dawn's GPU object where a browser puts its own (no real browser runs in CI).
import { createWebGpuBackend } from '@hubel/backend-webgpu';
import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { afterAll, describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();

gpu.describe(describe, 'WebGpuBackend in a browser-like global scope', () => {
  const g = globalThis as { navigator?: unknown };
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterAll(() => {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete g.navigator;
  });

  it('takes its adapter from navigator.gpu, and says so when navigator.gpu has none', async () => {
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const { create } = (await import('webgpu')) as { create: (flags: string[]) => GPU };
    // Kept reachable for the device's whole life (Dawn's GC crash, webgpu-on-cpu.md §7).
    const entry = create(['backend=opengles']);
    (globalThis as { hubelTestGpu?: GPU }).hubelTestGpu = entry;
    let asked = 0;
    const spy = {
      requestAdapter: (o?: GPURequestAdapterOptions) => {
        asked++;
        return entry.requestAdapter(o);
      },
    } as unknown as GPU;
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: spy }, configurable: true, writable: true });
    const be = await createWebGpuBackend();
    expect(asked).toBeGreaterThan(0);
    const x = be.tensor([1, -2, 3], [3]);
    const y = be.ops.add(x, x);
    expect(Array.from(await y.read())).toEqual([2, -4, 6]);
    be.dispose?.();
    const none = { requestAdapter: async () => null } as unknown as GPU;
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: none }, configurable: true, writable: true });
    await expect(createWebGpuBackend()).rejects.toThrowError(/no WebGPU adapter found \(navigator.gpu: no adapter\)/);
  });
});
