import { availableCpuKernels, cpuKernels, createCpuBackend, setCpuKernels } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = pathToFileURL(join(pkg, 'dist', 'index.js')).href;

/** Runs an ES module snippet against the compiled package in a fresh Node with the given flags and environment. */
function node(code: string, flags: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, HUBEL_CPU_KERNELS: '', ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A snippet that multiplies ragged float32 matrices on one path and prints the result. */
const product = (kernels: string) => `
  import { gemm, setCpuKernels, cpuKernels, setGemmThreads } from ${JSON.stringify(dist)};
  setGemmThreads(1);
  ${kernels ? `setCpuKernels(${JSON.stringify(kernels)});` : ''}
  const [m, n, k] = [37, 45, 301];
  let s = 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const a = Float32Array.from({ length: m * k }, rand), b = Float32Array.from({ length: k * n }, rand);
  const c = new Float32Array(m * n);
  gemm({ m, n, k, a, b, c, transB: false, alpha: 0.5 });
  console.log(JSON.stringify({ kernels: cpuKernels(), c: Array.from(c) }));`;

describe('WebAssembly kernels: detection, forcing, fallback', () => {
  it('the committed modules are what wasm/build.mjs assembles from source (reproducible build)', () => {
    const r = spawnSync(process.execPath, [join(pkg, 'wasm', 'build.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('Node 20 without flags has wasm SIMD and not relaxed SIMD; asking for a missing path names what is available', () => {
    expect(availableCpuKernels()).toContain('simd');
    expect(availableCpuKernels().at(-1)).toBe('ts');
    if (!availableCpuKernels().includes('relaxed')) {
      expect(() => setCpuKernels('relaxed')).toThrowError(/'relaxed' kernels are not available in this engine \(available: simd, ts\)/);
    }
    expect(() => setCpuKernels('fast' as never)).toThrowError(/kernels must be 'auto', 'relaxed', 'simd' or 'ts', found 'fast'/);
    const before = cpuKernels();
    setCpuKernels('ts');
    expect(cpuKernels()).toBe('ts');
    setCpuKernels('auto');
    expect(cpuKernels()).toBe(availableCpuKernels()[0]);
    setCpuKernels(before);
  });

  it('relaxed SIMD is detected where the engine enables it, and its products match the plain SIMD and TypeScript paths', () => {
    const relaxed = node(product(''), ['--experimental-wasm-relaxed-simd']);
    expect(relaxed.stderr).toBe('');
    const simd = node(product('simd'));
    const ts = node(product('ts'));
    const [r, s, t] = [relaxed, simd, ts].map((x) => JSON.parse(x.stdout) as { kernels: string; c: number[] });
    expect([r.kernels, s.kernels, t.kernels]).toEqual(['relaxed', 'simd', 'ts']);
    // k = 301 terms of |a·b| ≤ 0.5 each: float32 summation ≤ 301·6e-8·(0.5·301/4 ≈ 38) ≈ 7e-4 apart
    // in the worst case; a fused multiply-add only removes roundings.
    const worst = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i])));
    expect(worst(r.c, t.c)).toBeLessThan(1e-3);
    expect(worst(s.c, t.c)).toBeLessThan(1e-3);
    expect(worst(r.c, t.c)).toBeGreaterThan(0); // a different path really ran
  });

  it('an engine without WebAssembly falls back to the TypeScript path with one warning', () => {
    const r = node(product(''), ['--jitless']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).kernels).toBe('ts');
    const warnings = r.stderr.split('\n').filter((l) => l.includes('@hubel/backend-cpu'));
    expect(warnings).toEqual(['@hubel/backend-cpu: this engine has no WebAssembly; using the TypeScript kernels']);
  });

  it('without SharedArrayBuffer (a browser page that is not cross-origin isolated) the kernels run on a private memory, tensors stay ordinary arrays, and products match', () => {
    const code = `delete globalThis.SharedArrayBuffer;
      const { createCpuBackend, cpuKernels } = await import(${JSON.stringify(dist)});
      const be = createCpuBackend();
      const a = be.tensor(Array.from({ length: 37 * 41 }, (_, i) => Math.sin(i)), [37, 41]);
      const b = be.tensor(Array.from({ length: 41 * 29 }, (_, i) => Math.cos(i)), [41, 29]);
      const c = be.readSync(be.blocks.gemm(a, b));
      const plain = !(be.data(a).buffer instanceof ArrayBuffer) ? 'shared' : 'plain';
      let worst = 0;
      for (let i = 0; i < 37; i++) for (let j = 0; j < 29; j++) {
        let s = 0;
        for (let p = 0; p < 41; p++) s += Math.fround(Math.sin(i * 41 + p)) * Math.fround(Math.cos(p * 29 + j));
        worst = Math.max(worst, Math.abs(s - c[i * 29 + j]));
      }
      console.log(JSON.stringify({ kernels: cpuKernels(), storage: plain, worst, description: be.description }));`;
    const r = node(code);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { kernels: string; storage: string; worst: number; description: string };
    expect(out.kernels).toBe('simd');
    expect(out.storage).toBe('plain');
    // One thread, and the description says why (gemmThreadsReason).
    expect(out.description).toBe('CPU (float32, WebAssembly SIMD, 1 thread: this runtime has no SharedArrayBuffer)');
    // 41 products of values in [−1, 1] summed in float32: ≤ 41·6e-8·41 ≈ 1e-4 in the worst case.
    expect(out.worst).toBeLessThan(1e-4);
  });

  it('tensors and scratch past 2 GiB of the heap: the wasm GEMM and Winograd agree with the TypeScript path (addresses are unsigned)', () => {
    // One 2.4 GB block first (never touched, so the memory it reserves is not committed), so the
    // operands and the kernels' scratch blocks allocated after it have addresses above 2³¹. A
    // signed shift of such an address once sent the JavaScript packing to negative indices.
    const code = `
      const { createCpuBackend, gemm, setGemmThreads, setCpuKernels } = await import(${JSON.stringify(dist)});
      setGemmThreads(1);
      const be = createCpuBackend(), ts = createCpuBackend({ kernels: 'ts' });
      const big = be.alloc([600000000]);
      const r = (n, s) => Array.from({ length: n }, (_, i) => Math.sin(i * s + 1));
      const g = { channels: 8, inH: 12, inW: 12, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, outH: 12, outW: 12 };
      const run = (b) => {
        const a = b.tensor(r(67 * 301, 1), [67, 301]), bb = b.tensor(r(301 * 45, 2), [301, 45]);
        const x = b.tensor(r(2 * 8 * 144, 3), [2, 8, 12, 12]), w = b.tensor(r(16 * 72, 4), [16, 8, 3, 3]);
        // Plain arrays too (packed by JavaScript into the kernels' scratch block).
        const pa = Float32Array.from(r(53 * 211, 5)), pb = Float32Array.from(r(211 * 70, 6)), pc = new Float32Array(53 * 70);
        setCpuKernels(b === ts ? 'ts' : 'simd');
        gemm({ m: 53, n: 70, k: 211, a: pa, b: pb, c: pc, transA: false, transB: false, alpha: 1 });
        setCpuKernels('auto');
        return { c: [...b.readSync(b.blocks.gemm(a, bb, { transB: false })), ...pc], y: b.readSync(b.blocks.winogradConv(x, w, g)), at: b.data(a).byteOffset };
      };
      const [h, t] = [run(be), run(ts)];
      const worst = (p, q) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
      console.log(JSON.stringify({ at: h.at, big: be.data(big).byteOffset, gemm: worst(h.c, t.c), wino: worst(h.y, t.y) }));`;
    const out = node(code);
    expect(out.stderr).toBe('');
    const res = JSON.parse(out.stdout) as { at: number; big: number; gemm: number; wino: number };
    expect(res.at).toBeGreaterThan(2 ** 31);
    // |terms| ≤ 1, 301 of them (GEMM) or 72 (3×3×8 convolution): float32 sums of either order stay within 301·6e-8·301 ≈ 5e-3
    // of each other at worst (typically 1e-5); the bug gave errors of order 1.
    expect(res.gemm).toBeLessThan(5e-3);
    expect(res.wino).toBeLessThan(5e-3);
  });

  it('HUBEL_CPU_KERNELS forces a path; a path the engine lacks gives one warning and the best available', () => {
    const forced = node(`import { cpuKernels } from ${JSON.stringify(dist)}; console.log(cpuKernels());`, [], { HUBEL_CPU_KERNELS: 'ts' });
    expect(forced.stdout.trim()).toBe('ts');
    const missing = node(`import { cpuKernels } from ${JSON.stringify(dist)}; console.log(cpuKernels());`, [], { HUBEL_CPU_KERNELS: 'relaxed' });
    expect(missing.stdout.trim()).toBe('simd');
    expect(missing.stderr).toMatch(/HUBEL_CPU_KERNELS: the 'relaxed' kernels are not available in this engine \(available: simd, ts\); using 'simd'/);
  });
});

describe('SGD update on the WebAssembly kernels', () => {
  // Plain, momentum with dampening, Nesterov with weight decay, and no velocity; odd lengths so
  // the two-per-vector loop's single last value runs too.
  const settings = [
    { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, velocity: false },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0, velocity: true },
    { lr: 0.01, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 5e-4, velocity: true },
  ];
  for (const path of availableCpuKernels().filter((p) => p !== 'ts')) {
    it(`${path}: weights and velocities bitwise equal to the TypeScript loop's after 3 steps`, async () => {
      const wasm = createCpuBackend({ kernels: path }), ts = createCpuBackend({ kernels: 'ts' });
      for (const { velocity, ...o } of settings) {
        for (const n of [1, 7, 1001]) {
          const r = new Rng(n);
          const w0 = Float32Array.from({ length: n }, () => r.normal()), v0 = Float32Array.from({ length: n }, () => r.normal());
          const grads = [0, 1, 2].map(() => Float32Array.from({ length: n }, () => r.normal()));
          const run = async (be: ReturnType<typeof createCpuBackend>) => {
            const w = be.tensor(w0, [n]), v = velocity ? be.tensor(v0, [n]) : undefined;
            for (const g of grads) be.ops.sgdUpdate(w, be.tensor(g, [n]), v, o);
            expect(be.data(w).buffer instanceof SharedArrayBuffer).toBe(true);
            return [await w.read(), v ? await v.read() : undefined];
          };
          // Both compute the same float64 expressions and round to float32 at the same places.
          expect(await run(wasm), `n ${n}, ${JSON.stringify(o)}`).toEqual(await run(ts));
        }
      }
    });
  }
});

describe('Adam update on the WebAssembly kernels', () => {
  for (const path of availableCpuKernels().filter((p) => p !== 'ts')) {
    it(`${path}: weights and both moments bitwise equal to the TypeScript loop's after 3 steps (Adam and AdamW)`, async () => {
      const wasm = createCpuBackend({ kernels: path }), ts = createCpuBackend({ kernels: 'ts' });
      for (const decoupled of [false, true]) {
        for (const n of [1, 7, 1001]) {
          const r = new Rng(40 + n);
          const w0 = Float32Array.from({ length: n }, () => r.normal());
          const grads = [0, 1, 2].map(() => Float32Array.from({ length: n }, () => r.normal()));
          const run = async (be: ReturnType<typeof createCpuBackend>) => {
            const w = be.tensor(w0, [n]), m = be.tensor(new Float32Array(n), [n]), v = be.tensor(new Float32Array(n), [n]);
            grads.forEach((g, i) => be.ops.adamUpdate(w, be.tensor(g, [n]), m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step: i + 1 }));
            return [await w.read(), await m.read(), await v.read()];
          };
          // The same float64 expressions (division and square root correctly rounded in both), rounded to float32 at the same places.
          expect(await run(wasm), `n ${n}, decoupled ${decoupled}`).toEqual(await run(ts));
        }
      }
    });
  }
});
