/**
 * Elementwise and per-channel loops that normalization and activation layers share: ReLU and
 * its gradient, and batch normalization's per-channel statistics, affine map and their
 * gradients, on x viewed as [n, c, s] (s = the product of the spatial sizes, 1 for [N, C]).
 * Float32 arrays in the wasm heap run on the WebAssembly kernels; everything else (float64 mode,
 * the TypeScript path, ordinary arrays) on the loops here, the reference.
 *
 * Per-channel arithmetic is float64 on both paths, with the same expressions, so the affine
 * maps give bitwise the same float32 results; the sums run in two interleaved lanes on the wasm
 * path (a different order, with float64 rounding ~1e-16 relative, far below float32's).
 */
import type { F } from './gemm.js';
import { cpuKernels, heap, residency, wasmState, type CpuKernels } from './wasm-kernels.js';
import type { WasmKernelExports } from './gemm-wasm.js';

/** The wasm kernels when every array is float32 in the wasm heap on a wasm kernel path; else undefined. */
function wasmFor(kernels: CpuKernels | undefined, ...arrays: F[]): WasmKernelExports | undefined {
  const path = kernels ?? cpuKernels();
  if (path === 'ts' || !arrays.every((a) => a instanceof Float32Array)) return undefined;
  for (let i = 0; i < arrays.length; i += 2) if (residency(arrays[i], arrays[i + 1] ?? arrays[i], arrays[i]) !== 7) return undefined;
  return wasmState(path).k;
}

/**
 * Runs `call` with `rows`·c float64 per-channel parameters copied into a heap block (the kernels
 * address them there) and returns the block's values afterwards; undefined if the heap is full.
 */
function withParams(rows: readonly (ArrayLike<number> | undefined)[], c: number, call: (at: number) => void): Float64Array | undefined {
  const bytes = 8 * rows.length * c;
  const at = heap!.alloc(bytes);
  if (at === undefined) return undefined;
  try {
    const p = new Float64Array(heap!.buffer(), at, rows.length * c);
    rows.forEach((r, k) => (r ? p.set(r, k * c) : p.fill(0, k * c, (k + 1) * c)));
    call(at);
    return p.slice();
  } finally {
    heap!.free(at, bytes);
  }
}

/** y = x·[x > 0] + 0: ReLU, branch-free (a NaN or −∞ input gives NaN, −0 gives 0). */
export function reluForward(x: F, y: F, kernels?: CpuKernels): void {
  const k = wasmFor(kernels, x, y);
  if (k) return k.relu(x.byteOffset, y.byteOffset, y.length);
  for (let i = 0; i < y.length; i++) {
    const v = x[i];
    y[i] = v * +(v > 0) + 0;
  }
}

/** dx = dy·[x > 0] + 0: ReLU's input gradient (the subgradient at 0 taken as 0). */
export function reluBackward(x: F, dy: F, dx: F, kernels?: CpuKernels): void {
  const k = wasmFor(kernels, x, dy, dx);
  if (k) return k.relu_grad(x.byteOffset, dy.byteOffset, dx.byteOffset, dx.length);
  for (let i = 0; i < dx.length; i++) dx[i] = dy[i] * +(x[i] > 0) + 0;
}

/** Per-channel mean and biased variance of x viewed as [n, c, s]: two passes, float64 sums. */
export function channelMoments(x: F, n: number, c: number, s: number, kernels?: CpuKernels): { mean: Float64Array; variance: Float64Array } {
  const m = n * s;
  const k = wasmFor(kernels, x);
  if (k) {
    const sums = withParams([undefined], c, (p) => k.ch_sum(x.byteOffset, n, c, s, p));
    if (sums) {
      const mean = sums.map((v) => v / m);
      const sq = withParams([mean, undefined], c, (p) => k.ch_sq_dev(x.byteOffset, n, c, s, p));
      if (sq) return { mean, variance: sq.subarray(c).map((v) => v / m) };
    }
  }
  const mean = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      let acc = 0;
      for (let j = base; j < base + s; j++) acc += x[j];
      mean[ch] += acc;
    }
  }
  for (let ch = 0; ch < c; ch++) mean[ch] /= m;
  const variance = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch];
      let acc = 0;
      for (let j = base; j < base + s; j++) {
        const d = x[j] - mu;
        acc += d * d;
      }
      variance[ch] += acc;
    }
  }
  for (let ch = 0; ch < c; ch++) variance[ch] /= m;
  return { mean, variance };
}

/** y = scale_c·(x − mean_c) + shift_c for x viewed as [n, c, s] (float64 arithmetic, rounded once). */
export function channelAffine(x: F, y: F, n: number, c: number, s: number, mean: ArrayLike<number>, scale: ArrayLike<number>, shift: ArrayLike<number>, kernels?: CpuKernels): void {
  const k = wasmFor(kernels, x, y);
  if (k && withParams([mean, scale, shift], c, (p) => k.ch_affine(x.byteOffset, y.byteOffset, n, c, s, p))) return;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch], a = scale[ch], b = shift[ch];
      for (let j = base; j < base + s; j++) y[j] = a * (x[j] - mu) + b;
    }
  }
}

/** Per channel of x and dy viewed as [n, c, s]: Σ dy and Σ dy·(x − mean_c), float64 sums. */
export function channelGradSums(x: F, dy: F, n: number, c: number, s: number, mean: ArrayLike<number>, kernels?: CpuKernels): { sumDy: Float64Array; sumDyCentered: Float64Array } {
  const k = wasmFor(kernels, x, dy);
  const sums = k && withParams([mean, undefined, undefined], c, (p) => k.ch_grad_sums(x.byteOffset, dy.byteOffset, n, c, s, p));
  if (sums) return { sumDy: sums.slice(c, 2 * c), sumDyCentered: sums.slice(2 * c) };
  const sumDy = new Float64Array(c), sumDyCentered = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch];
      let sd = 0, sdx = 0;
      for (let j = base; j < base + s; j++) {
        sd += dy[j];
        sdx += dy[j] * (x[j] - mu);
      }
      sumDy[ch] += sd;
      sumDyCentered[ch] += sdx;
    }
  }
  return { sumDy, sumDyCentered };
}

/**
 * dx = a_c·dy + b_c·(x − mean_c) + d_c for x, dy viewed as [n, c, s] (float64 arithmetic, rounded
 * once): batch normalization's input gradient, whose batch-statistics terms are the b and d parts.
 */
export function channelAffineGrad(
  x: F, dy: F, dx: F, n: number, c: number, s: number,
  mean: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, d: ArrayLike<number>, kernels?: CpuKernels,
): void {
  const k = wasmFor(kernels, x, dy, dx);
  if (k && withParams([mean, a, b, d], c, (p) => k.ch_affine_grad(x.byteOffset, dy.byteOffset, dx.byteOffset, n, c, s, p))) return;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch], ka = a[ch], kb = b[ch], kd = d[ch];
      for (let j = base; j < base + s; j++) dx[j] = ka * dy[j] + kb * (x[j] - mu) + kd;
    }
  }
}
