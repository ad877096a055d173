/**
 * Which float32 kernels the CPU backend runs: WebAssembly with relaxed SIMD (fused
 * multiply-add where the engine fuses), WebAssembly with plain 128-bit SIMD, or the TypeScript
 * reference. Features are detected by validating the modules, never assumed, and no engine flag
 * is touched: a module that the engine rejects, or that fails to compile, leaves the
 * TypeScript path with one warning.
 *
 * The choice, in order: a backend's `kernels` option (per call), `setCpuKernels()`, the
 * environment variable HUBEL_CPU_KERNELS (ts | simd | relaxed | auto), else the best available.
 */
import { WASM_MODULES } from '../wasm/kernels-bytes.js';
import { WasmHeap } from '../heap.js';
import { wasmGemmState, type WasmApi, type WasmGemmState, type WasmModule } from './gemm-wasm.js';

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** A kernel path: 'relaxed' (wasm relaxed SIMD), 'simd' (wasm 128-bit SIMD) or 'ts' (TypeScript). */
export type CpuKernels = 'relaxed' | 'simd' | 'ts';
/** What a caller may ask for: a path, or 'auto' (the best this engine has). */
export type CpuKernelsChoice = CpuKernels | 'auto';

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  console.warn(`@hubel/backend-cpu: ${message}; using the TypeScript kernels`);
}

/**
 * The module's bytes for the heap's kind of memory. The modules import a shared memory; for a
 * private one, the import's limits flag byte goes from 0x03 (maximum, shared) to 0x01 (maximum).
 */
function forMemory(b64: string, shared: boolean): Uint8Array<ArrayBuffer> {
  const bytes = decode(b64);
  if (shared) return bytes;
  // "memory" (6 bytes), import kind 0x02, limits 0x03, min 1, max 65536 (LEB128 80 80 04).
  const pattern = [0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x80, 0x80, 0x04];
  for (let i = 0; i + pattern.length <= bytes.length; i++) {
    if (pattern.every((b, j) => bytes[i + j] === b)) {
      bytes[i + 7] = 0x01;
      return bytes;
    }
  }
  throw new Error('the memory import was not found in the kernels module');
}

/** Compiles one module, or returns undefined (after one warning, except for the optional relaxed variant) when the engine cannot. */
async function compile(b64: string, what: 'kernels' | 'simd' | 'relaxed', shared: boolean): Promise<WasmModule | undefined> {
  try {
    const bytes = forMemory(b64, shared);
    // Relaxed SIMD is optional: an engine without it simply rejects that module.
    if (!wasmApi!.validate(bytes)) {
      if (what !== 'relaxed') warnOnce('this engine has no WebAssembly SIMD');
      return undefined;
    }
    return await wasmApi!.compile(bytes);
  } catch (e) {
    warnOnce(`the ${what} WebAssembly module failed to compile (${(e as Error).message})`);
    return undefined;
  }
}

/**
 * The heap every kernel instance imports (shared where the engine allows, then float32 tensors
 * live in it; see heap.ts), or undefined without WebAssembly.
 */
export const heap: WasmHeap | undefined = wasmApi ? WasmHeap.create() : undefined;
if (!wasmApi) warnOnce('this engine has no WebAssembly');
else if (!heap) warnOnce('no WebAssembly memory could be created');

/**
 * The compiled modules for the heap's kind of memory: `kernels`, and the GEMM sweep per variant
 * (undefined where the engine lacks the feature). Compiled once, at import.
 */
export const wasmModules: { readonly kernels?: WasmModule; readonly simd?: WasmModule; readonly relaxed?: WasmModule } = heap
  ? {
      kernels: await compile(WASM_MODULES.kernels, 'kernels', heap.shared),
      simd: await compile(WASM_MODULES.gemm_simd, 'simd', heap.shared),
      relaxed: await compile(WASM_MODULES.gemm_relaxed, 'relaxed', heap.shared),
    }
  : {};

/** The kernel paths this engine can run, best first (always ending in 'ts'). */
export function availableCpuKernels(): CpuKernels[] {
  return [...(states.relaxed && states.simd ? ['relaxed' as const] : []), ...(states.simd ? ['simd' as const] : []), 'ts'];
}

/** Resolves a choice to a path this engine runs; throws if it names one the engine lacks. */
export function resolveCpuKernels(choice: CpuKernelsChoice, where: string): CpuKernels {
  if (choice === 'auto') return availableCpuKernels()[0];
  if (choice !== 'ts' && choice !== 'simd' && choice !== 'relaxed') throw new RangeError(`${where}: kernels must be 'auto', 'relaxed', 'simd' or 'ts', found '${String(choice)}'`);
  if (!availableCpuKernels().includes(choice)) {
    throw new RangeError(`${where}: the '${choice}' kernels are not available in this engine (available: ${availableCpuKernels().join(', ')})`);
  }
  return choice;
}

function fromEnv(): CpuKernels {
  const v = typeof process !== 'undefined' ? process.env?.HUBEL_CPU_KERNELS : undefined;
  if (v === undefined || v === '' || v === 'auto') return availableCpuKernels()[0];
  try {
    return resolveCpuKernels(v as CpuKernelsChoice, 'HUBEL_CPU_KERNELS');
  } catch (e) {
    const best = availableCpuKernels()[0];
    console.warn(`@hubel/backend-cpu: ${(e as Error).message}; using '${best}'`);
    return best;
  }
}


/**
 * Sets the float32 kernel path for every CPU backend without its own `kernels` option:
 * 'auto' picks the best available. Throws if the engine lacks the path asked for.
 */
export function setCpuKernels(choice: CpuKernelsChoice): void {
  current = resolveCpuKernels(choice, 'setCpuKernels');
}

/** The float32 kernel path in use where no backend option overrides it. */
export function cpuKernels(): CpuKernels {
  return current;
}

/** Replaces a state's scratch block by one of at least `bytes` (the old one is freed). */
export function growScratch(ws: WasmGemmState, bytes: number): void {
  const size = Math.ceil(bytes / (1 << 20)) << 20;
  const at = heap!.alloc(size);
  if (at === undefined) throw new RangeError(`the WebAssembly memory cannot grow past ${heap!.bytes} bytes (maximum ${heap!.maxBytes})`);
  if (ws.size > 0) heap!.free(ws.base, ws.size);
  ws.base = at;
  ws.size = size;
}

/**
 * This thread's instance of each variant, with a scratch block from the heap. Instantiated at
 * import, asynchronously: browsers refuse synchronous instantiation of modules over 4 KiB on
 * their main thread.
 */
async function instantiate(gemm: WasmModule | undefined): Promise<WasmGemmState | undefined> {
  const kernels = wasmModules.kernels;
  if (!gemm || !kernels || !heap || !wasmApi) return undefined;
  try {
    const imports = { env: { memory: heap.memory } };
    const [a, b] = await Promise.all([wasmApi.instantiate(kernels, imports), wasmApi.instantiate(gemm, imports)]);
    const ws: WasmGemmState = wasmGemmState({ ...a.exports, ...b.exports }, heap.memory, (bytes) => growScratch(ws, bytes));
    return ws;
  } catch (e) {
    warnOnce(`the WebAssembly kernels failed to instantiate (${(e as Error).message})`);
    return undefined;
  }
}
const states: { simd?: WasmGemmState; relaxed?: WasmGemmState } = { simd: await instantiate(wasmModules.simd), relaxed: await instantiate(wasmModules.relaxed) };
let current: CpuKernels = fromEnv();

/** This thread's instance of a wasm variant. */
export function wasmState(path: 'simd' | 'relaxed'): WasmGemmState {
  return states[path]!;
}

/** Bit 1: A, 2: B, 4: C live in the heap (the kernels address them there). */
export function residency(a: { readonly buffer: ArrayBufferLike }, b: { readonly buffer: ArrayBufferLike }, c: { readonly buffer: ArrayBufferLike }): number {
  if (!heap?.shared) return 0;
  return (heap.contains(a) ? 1 : 0) | (heap.contains(b) ? 2 : 0) | (heap.contains(c) ? 4 : 0);
}

/**
 * The bound a float32 product can reach on one thread here: GFLOP/s of the wasm 4×8 micro-kernel
 * sweep (gemm_block) over packed panels that stay in cache (120×256 of A, 256×1024 of B, as one
 * MC×KC block against one KC×NC panel), timed for about `ms` milliseconds; undefined on the
 * TypeScript path. Benchmarks quote each workload's GFLOP/s as a fraction of this × threads.
 */
export function kernelPeakGflops(ms = 300, path: CpuKernels = cpuKernels()): number | undefined {
  if (path === 'ts' || !heap) return undefined;
  const ws = wasmState(path);
  const mc = 120, nc = 1024, kc = 256;
  const bytes = 4 * (mc * kc + kc * nc + mc * nc);
  const at = heap.alloc(bytes);
  if (at === undefined) return undefined;
  try {
    const f32 = new Float32Array(heap.buffer(), at, bytes / 4);
    for (let i = 0; i < f32.length; i++) f32[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    const pa = at, pb = at + 4 * mc * kc, c = pb + 4 * kc * nc;
    const flops = 2 * mc * nc * kc;
    ws.k.gemm_block(pa, pb, c, mc, nc, kc, nc); // warm-up (compiles the function)
    let runs = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      ws.k.gemm_block(pa, pb, c, mc, nc, kc, nc);
      runs++;
      t = performance.now();
    }
    return (flops * runs) / ((t - t0) * 1e6);
  } finally {
    heap.free(at, bytes);
  }
}
