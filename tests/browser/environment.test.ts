// What the browser suites run on: a cross-origin isolated Chromium page (the test server sends
// COOP/COEP, see tests/browser/chromium.ts), so the CPU backend's float32 tensors live in shared
// WebAssembly memory and its SIMD kernels run; what it reports is printed for the record.
import { availableCpuKernels, cpuKernels, createCpuBackend, gemmThreads, gemmThreadsReason } from '@hubel/backend-cpu';
import { describe, expect, it } from 'vitest';

describe('Chromium page for the browser suites', () => {
  it('is cross-origin isolated: SharedArrayBuffer and shared WebAssembly memory exist', () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(navigator.userAgent).toMatch(/HeadlessChrome\/\d+/);
  });

  it('the CPU backend runs WebAssembly SIMD kernels and keeps float32 tensors in shared memory', () => {
    const available = availableCpuKernels();
    const backend = createCpuBackend();
    const t = backend.tensor([1, 2, 3], [3]);
    console.info(`[browser] ${navigator.userAgent.match(/HeadlessChrome\/[\d.]+/)?.[0]}: CPU kernels available ${available.join(', ')}; in use '${cpuKernels()}' — ${backend.description}; GEMM threads ${gemmThreads()}; hardwareConcurrency ${navigator.hardwareConcurrency}`);
    // Chromium has had WebAssembly SIMD since version 91; relaxed SIMD is on by default in the
    // Chromium these suites target (shared/docs/webgpu-on-cpu.md §6), and 'auto' takes the best.
    expect(available).toContain('simd');
    expect(available.at(-1)).toBe('ts');
    expect(cpuKernels()).toBe(available[0]);
    expect(backend.description).toBe(`CPU (float32, ${cpuKernels() === 'relaxed' ? 'WebAssembly relaxed SIMD' : 'WebAssembly SIMD'}, 1 thread: the page's main thread cannot block)`);
    expect(backend.data(t).buffer).toBeInstanceOf(SharedArrayBuffer);
    t.dispose();
  });

  it("GEMM stays on the calling thread: a page's main thread may not block in Atomics.wait", () => {
    // The GEMM workers run where the caller may wait for them: a dedicated Web Worker
    // (tests/browser/cpu-threads.test.ts), as the playground and `pnpm bench:browser` train.
    expect(gemmThreads()).toBe(1);
    expect(gemmThreadsReason()).toBe("the page's main thread cannot block");
  });
});
