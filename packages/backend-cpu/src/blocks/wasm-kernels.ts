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
import { RELAXED_WASM, SIMD_WASM } from '../wasm/kernels-bytes.js';
import { wasmGemmInstantiate, type WasmApi, type WasmGemmState, type WasmModule } from './gemm-wasm.js';

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

/** Compiles one variant, or returns undefined (after one warning for the baseline) when the engine cannot. */
async function compile(b64: string, variant: CpuKernels): Promise<WasmModule | undefined> {
  if (typeof wasmApi !== 'object') {
    if (variant === 'simd') warnOnce('this engine has no WebAssembly');
    return undefined;
  }
  const bytes = decode(b64);
  // Relaxed SIMD is optional: an engine without it simply rejects that module.
  if (!wasmApi.validate(bytes)) {
    if (variant === 'simd') warnOnce('this engine has no WebAssembly SIMD');
    return undefined;
  }
  try {
    return await wasmApi.compile(bytes);
  } catch (e) {
    warnOnce(`the ${variant} WebAssembly kernels failed to compile (${(e as Error).message})`);
    return undefined;
  }
}

/** The compiled modules (undefined where the engine lacks the feature). Compiled once, at import. */
export const wasmModules: { readonly simd?: WasmModule; readonly relaxed?: WasmModule } = {
  simd: await compile(SIMD_WASM, 'simd'),
  relaxed: await compile(RELAXED_WASM, 'relaxed'),
};

/** The kernel paths this engine can run, best first (always ending in 'ts'). */
export function availableCpuKernels(): CpuKernels[] {
  return [...(wasmModules.relaxed && wasmModules.simd ? ['relaxed' as const] : []), ...(wasmModules.simd ? ['simd' as const] : []), 'ts'];
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

let current: CpuKernels = fromEnv();

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

const states: { simd?: WasmGemmState; relaxed?: WasmGemmState } = {};

/** This thread's instance of a wasm variant (created on first use). */
export function wasmState(path: 'simd' | 'relaxed'): WasmGemmState {
  return (states[path] ??= wasmGemmInstantiate(wasmModules[path]!));
}
