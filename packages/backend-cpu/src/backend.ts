import {
  HubelError,
  Tensor,
  fmtShape,
  sameShape,
  sizeOf,
  type AdamUpdate,
  type Backend,
  type BackendStats,
  type CoreOps,
  type DType,
  type SgdUpdate,
  type Shape,
  type TypedArray,
} from '@hubel/core';
import { gemm, type F } from './blocks/gemm.js';
import { logSoftmaxAxis } from './blocks/softmax.js';
import { col2im, im2col, type ConvGeometry } from './blocks/im2col.js';
import { winogradConv, winogradFilterGrad, winogradFilterGradScratchSizes, winogradInputsAll, winogradPlane, winogradScratchSizes, winogradTiles, type WinogradShape } from './blocks/winograd.js';
import { padSource, type PadMode } from './blocks/pad.js';
import { transpose } from './blocks/transpose.js';
import { channelAffine, channelAffineGrad, channelGradSums, channelMoments, reluBackward, reluForward } from './blocks/channel.js';
import { sumAxes } from './blocks/reduce.js';
import { gemmThreads, gemmThreadsReason } from './blocks/gemm-threads.js';
import { cpuKernels, heap, residency, resolveCpuKernels, wasmState, type CpuKernels, type CpuKernelsChoice } from './blocks/wasm-kernels.js';
import { scatterAdd, windowMax, windowPlan, windowSum, windowSumBackward, type WindowAxis, type WindowDivisor, type WindowPlan } from './blocks/window.js';

/** Whether this runtime has SharedArrayBuffer (Node does; browsers only when cross-origin isolated). */
const hasShared = typeof SharedArrayBuffer === 'function';

/** Options of {@link createCpuBackend} and of `registry.createBackend('cpu', options)`. */
export interface CpuBackendOptions {
  /** Float element type: 'float32' (default) or 'float64' for gradient checks. */
  readonly dtype?: 'float32' | 'float64';
  /**
   * Float32 kernel path of this backend's blocks: 'relaxed' (WebAssembly relaxed SIMD), 'simd'
   * (WebAssembly 128-bit SIMD), 'ts' (TypeScript) or 'auto' (the best this engine has). Default:
   * follow setCpuKernels() / HUBEL_CPU_KERNELS. Asking for a path the engine lacks throws.
   */
  readonly kernels?: CpuKernelsChoice;
}

/**
 * The CPU reference backend: tensors are typed arrays (Float32Array, or Float64Array in
 * float64 mode; Int32Array for labels). Freed arrays go to a pool keyed by length, so a
 * training loop stops allocating after its first steps.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly floatType: 'float32' | 'float64';
  readonly ops: CoreOps;
  /** The kernel path fixed by the `kernels` option, or undefined (follow cpuKernels()). */
  readonly kernels: CpuKernels | undefined;
  /** Tensor-level loops layer kernels share (GEMM, im2col, windows, reductions). */
  readonly blocks: CpuBlocks;
  readonly #pool = new Map<string, TypedArray[]>();
  #live = 0;
  #created = 0;

  constructor(options: CpuBackendOptions = {}) {
    this.floatType = options.dtype ?? 'float32';
    if (this.floatType !== 'float32' && this.floatType !== 'float64') throw new HubelError('attribute', `cpu backend: dtype must be 'float32' or 'float64', found '${String(this.floatType)}'`);
    this.kernels = options.kernels === undefined ? undefined : resolveCpuKernels(options.kernels, 'cpu backend');
    this.ops = createOps(this);
    this.blocks = new CpuBlocks(this);
  }

  /**
   * What runs the float math: element type, kernel path and GEMM threads, e.g. 'CPU (float32,
   * WebAssembly SIMD, 2 threads)'. With fewer threads than setGemmThreads asked for, the reason
   * follows (gemmThreadsReason): 'CPU (float32, WebAssembly SIMD, 1 thread: the page's main
   * thread cannot block)'. In a Web Worker, await gemmThreadsReady() first: until the GEMM
   * workers have started, products run on one thread and the description says so.
   */
  get description(): string {
    const path = this.floatType === 'float64' ? 'ts' : (this.kernels ?? cpuKernels());
    const threads = gemmThreads();
    const why = gemmThreadsReason();
    return `CPU (${this.floatType}, ${path === 'relaxed' ? 'WebAssembly relaxed SIMD' : path === 'simd' ? 'WebAssembly SIMD' : 'TypeScript'}, ${threads} thread${threads === 1 ? '' : 's'}${why ? `: ${why}` : ''})`;
  }

  /** The typed array behind a tensor (throws if disposed or from another backend). */
  data(t: Tensor): F {
    if (t.backend !== this) throw new HubelError('backend', `${t} is not on this CPU backend`);
    return t.storage as F;
  }

  /** The Int32Array behind an int32 tensor (class labels, indices); throws for other dtypes. */
  ints(t: Tensor): Int32Array {
    if (t.dtype !== 'int32') throw new HubelError('dtype', `expected an int32 tensor, found ${t}`);
    return t.storage as Int32Array;
  }

  /** A new tensor whose contents are unspecified (pooled memory): write every element. */
  alloc(shape: Shape, dtype?: DType): Tensor {
    const dt = this.#dtype(dtype);
    const n = sizeOf(shape);
    const key = `${dt}:${n}`;
    const pooled = this.#pool.get(key)?.pop();
    let arr: TypedArray;
    if (pooled) arr = pooled;
    else {
      // Float storage lives in shared memory where there is any, so GEMM worker threads read
      // and write tensors in place instead of copying them (blocks/gemm-threads.ts).
      // Float32 storage goes to the wasm heap where it is shared (blocks/wasm-kernels.ts), so the
      // WebAssembly kernels address tensors where they are; when the heap cannot grow, ordinary
      // shared memory.
      const memory = (bytes: number) => (hasShared ? new SharedArrayBuffer(bytes * n) : new ArrayBuffer(bytes * n));
      arr = dt === 'float32' ? (heap?.allocF32(n) ?? new Float32Array(memory(4))) : dt === 'float64' ? new Float64Array(memory(8)) : (heap?.allocI32(n) ?? new Int32Array(n));
      this.#created++;
    }
    this.#live++;
    return new Tensor(this, [...shape], dt, arr);
  }

  zeros(shape: Shape, dtype?: DType): Tensor {
    const t = this.alloc(shape, dtype);
    (t.storage as TypedArray).fill(0);
    return t;
  }

  tensor(values: ArrayLike<number>, shape: Shape, dtype?: DType): Tensor {
    const n = sizeOf(shape);
    if (values.length !== n) throw new HubelError('shape', `cpu backend: ${values.length} values given for shape ${fmtShape(shape)} (${n} expected)`);
    shape.forEach((d) => {
      if (!(Number.isInteger(d) && d >= 0)) throw new HubelError('shape', `cpu backend: bad shape ${fmtShape(shape)}`);
    });
    const t = this.alloc(shape, dtype);
    const arr = t.storage as TypedArray;
    if (t.dtype === 'int32') {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (!Number.isInteger(v)) throw new HubelError('dtype', `cpu backend: int32 tensor given non-integer value ${v} at index ${i}`);
        arr[i] = v;
      }
    } else arr.set(values as ArrayLike<number>);
    return t;
  }

  async read(t: Tensor): Promise<TypedArray> {
    return this.readSync(t);
  }

  readSync(t: Tensor): TypedArray {
    return (this.data(t) as TypedArray).slice();
  }

  /** The tensor's own typed array (no copy): for read-only scans such as NanGuard's. */
  peekSync(t: Tensor): ArrayLike<number> {
    return this.data(t);
  }

  /** Index of the first NaN or ±Inf, or −1 (int32 tensors: −1): on the wasm kernels for float32 tensors in the heap. */
  firstNonFiniteSync(t: Tensor): number {
    const x = this.data(t);
    if (x instanceof Int32Array) return -1;
    const path = this.floatType === 'float64' ? 'ts' : (this.kernels ?? cpuKernels());
    if (path !== 'ts' && x instanceof Float32Array && residency(x, x, x) === 7) return wasmState(path).k.first_nonfinite(x.byteOffset, x.length);
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
    return -1;
  }

  release(_t: Tensor, storage: unknown): void {
    const arr = storage as TypedArray;
    const dt = arr instanceof Float32Array ? 'float32' : arr instanceof Float64Array ? 'float64' : 'int32';
    const key = `${dt}:${arr.length}`;
    let list = this.#pool.get(key);
    if (!list) this.#pool.set(key, (list = []));
    if (list.length < 16) list.push(arr);
    else if ((arr instanceof Float32Array || arr instanceof Int32Array) && heap?.contains(arr)) heap.freeView(arr);
    this.#live--;
  }

  async sync(): Promise<void> {}

  stats(): BackendStats {
    return { liveTensors: this.#live, buffersCreated: this.#created };
  }

  #dtype(dtype: DType | undefined): DType {
    // Float tensors take the backend's float type, so float64 mode is float64 throughout.
    if (dtype === undefined || dtype === 'float32' || dtype === 'float64') return this.floatType;
    if (dtype === 'int32') return 'int32';
    throw new HubelError('dtype', `cpu backend: unknown dtype '${String(dtype)}'`);
  }
}

function createOps(be: CpuBackend): CoreOps {
  const same = (a: Tensor, b: Tensor, op: string) => {
    if (!sameShape(a.shape, b.shape)) throw new HubelError('shape', `${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  };
  return {
    add(a, b) {
      same(a, b, 'add');
      const out = be.alloc(a.shape);
      const x = be.data(a), y = be.data(b), o = be.data(out);
      for (let i = 0; i < o.length; i++) o[i] = x[i] + y[i];
      return out;
    },
    copy(a) {
      const out = be.alloc(a.shape, a.dtype);
      (be.data(out) as TypedArray).set(be.data(a) as TypedArray);
      return out;
    },
    fill(shape, value) {
      const out = be.alloc(shape);
      be.data(out).fill(value);
      return out;
    },
    assign(dst, src) {
      same(dst, src, 'assign');
      (be.data(dst) as TypedArray).set(be.data(src) as TypedArray);
    },
    sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor | undefined, o: SgdUpdate) {
      same(param, grad, 'sgdUpdate');
      const w = be.data(param), g = be.data(grad);
      const v = velocity ? be.data(velocity) : undefined;
      const { lr, momentum, dampening, nesterov, weightDecay } = o;
      // Float32 tensors in the wasm heap: the wasm loop computes the same float64 expressions
      // (bitwise the same result), two values per vector.
      const path = be.kernels ?? cpuKernels();
      if (path !== 'ts' && w instanceof Float32Array && g instanceof Float32Array && (!v || v instanceof Float32Array) && residency(w, g, v ?? w) === 7) {
        wasmState(path).k.sgd_update(w.byteOffset, g.byteOffset, v ? v.byteOffset : 0, w.length, lr, momentum, 1 - dampening, nesterov ? 1 : 0, weightDecay);
        return;
      }
      for (let i = 0; i < w.length; i++) {
        let d = g[i] + weightDecay * w[i];
        if (v) {
          v[i] = momentum * v[i] + (1 - dampening) * d;
          d = nesterov ? d + momentum * v[i] : v[i];
        }
        w[i] -= lr * d;
      }
    },
    adamUpdate(param: Tensor, grad: Tensor, mT: Tensor, vT: Tensor, o: AdamUpdate) {
      same(param, grad, 'adamUpdate');
      const w = be.data(param), g = be.data(grad), m = be.data(mT), v = be.data(vT);
      const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = o;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      // Float32 tensors in the wasm heap: the same float64 expressions, two values per vector.
      const path = be.kernels ?? cpuKernels();
      if (path !== 'ts' && [w, g, m, v].every((a) => a instanceof Float32Array) && residency(w, g, m) === 7 && residency(v, v, v) === 7) {
        wasmState(path).k.adam_update(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, w.length, lr, beta1, 1 - beta1, beta2, 1 - beta2, c1, c2, eps, weightDecay, decoupled ? 1 : 0);
        return;
      }
      for (let i = 0; i < w.length; i++) {
        const gi = decoupled ? g[i] : g[i] + weightDecay * w[i];
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        const upd = (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
        w[i] -= lr * (decoupled ? upd + weightDecay * w[i] : upd);
      }
    },
  };
}

/** Options of {@link CpuBlocks.gemm}. */
export interface GemmOptions {
  /** Use Aᵀ instead of A. */
  transA?: boolean;
  /** Use Bᵀ instead of B. */
  transB?: boolean;
  /** Scale of the product; default 1. */
  alpha?: number;
  /** Added to every row of the result (length n): Linear's bias. */
  colBias?: Tensor;
  /** Added to every column of the result (length m): a conv's per-channel bias. */
  rowBias?: Tensor;
  /** Batched over G row blocks of A and B (see CpuBlocks.gemm); default 1. */
  groups?: number;
}

/**
 * Tensor-level building blocks that layer kernels call instead of writing their own loops.
 * Every block returns a fresh tensor the caller owns.
 */
export class CpuBlocks {
  readonly #plans = new Map<string, WindowPlan>();

  constructor(private readonly be: CpuBackend) {}

  /**
   * op(A)·op(B) for 2-D tensors, plus optional row/column bias. With `groups` = G, A and B are
   * each split into G equal blocks of rows (as stored, before any transpose) and the result
   * stacks the G products op(A_g)·op(B_g) row-wise: a grouped convolution's three GEMMs.
   */
  gemm(A: Tensor, B: Tensor, o: GemmOptions = {}): Tensor {
    if (A.shape.length !== 2 || B.shape.length !== 2) throw new HubelError('shape', `gemm: expected 2-D operands, found ${fmtShape(A.shape)} and ${fmtShape(B.shape)}`);
    const groups = o.groups ?? 1;
    if (!(Number.isInteger(groups) && groups >= 1) || A.shape[0] % groups !== 0 || B.shape[0] % groups !== 0) {
      throw new HubelError('shape', `gemm: ${groups} groups do not split the rows of ${fmtShape(A.shape)} and ${fmtShape(B.shape)} evenly`);
    }
    const aRows = A.shape[0] / groups, bRows = B.shape[0] / groups;
    const [m, ka] = o.transA ? [A.shape[1], aRows] : [aRows, A.shape[1]];
    const [kb, n] = o.transB ? [B.shape[1], bRows] : [bRows, B.shape[1]];
    if (ka !== kb) throw new HubelError('shape', `gemm: inner dimensions differ: op(A) is ${m}×${ka}, op(B) is ${kb}×${n}${groups > 1 ? ` (per group of ${groups})` : ''}`);
    const out = this.be.alloc([groups * m, n]);
    const c = this.be.data(out), a = this.be.data(A), b = this.be.data(B);
    for (let g = 0; g < groups; g++) {
      gemm({
        m, n, k: ka, a, b, c, transA: o.transA, transB: o.transB, alpha: o.alpha, kernels: this.be.kernels,
        aOffset: g * aRows * A.shape[1], lda: A.shape[1], bOffset: g * bRows * B.shape[1], ldb: B.shape[1], cOffset: g * m * n,
      });
    }
    const rows = groups * m;
    if (o.colBias) {
      const bias = this.be.data(o.colBias);
      if (bias.length !== n) throw new HubelError('shape', `gemm: column bias has ${bias.length} values, ${n} expected`);
      const k = this.#wasm(c, bias);
      if (k) k.bias_add(c.byteOffset, rows, n, bias.byteOffset, 0);
      else for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) c[i * n + j] += bias[j];
    }
    if (o.rowBias) {
      const bias = this.be.data(o.rowBias);
      if (bias.length !== rows) throw new HubelError('shape', `gemm: row bias has ${bias.length} values, ${rows} expected`);
      const k = this.#wasm(c, bias);
      if (k) k.bias_add(c.byteOffset, rows, n, bias.byteOffset, 1);
      else for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) c[i * n + j] += bias[i];
    }
    return out;
  }

  /** The wasm kernels, when float32 arrays a and b live in the wasm heap on a wasm kernel path; else undefined (TypeScript loops). */
  #wasm(a: F, b: F) {
    const path = this.be.kernels ?? cpuKernels();
    return path !== 'ts' && a instanceof Float32Array && b instanceof Float32Array && residency(a, b, b) === 7 ? wasmState(path).k : undefined;
  }

  /**
   * Unfolds x ([N, C, H, W], or [N, C, W] for 1-D with geometry H = 1) into a fresh
   * [C·kH·kW, N·outH·outW] column matrix: column n·outH·outW + l holds image n's window l.
   * Memory: C·kH·kW·N·outH·outW scalars.
   */
  im2col(x: Tensor, g: ConvGeometry): Tensor {
    const n = this.#images(x, g, 'im2col');
    const l = g.outH * g.outW;
    const cols = this.be.alloc([g.channels * g.kernelH * g.kernelW, n * l]);
    const xs = this.be.data(x), cs = this.be.data(cols);
    for (let i = 0; i < n; i++) im2col(xs, i * g.channels * g.inH * g.inW, g, cs, i * l, n * l, this.be.kernels);
    return cols;
  }

  /**
   * The r×r (r = 3 or 5), stride-1, undilated, ungrouped convolution of x ([N, C, H, W]) with
   * w ([Cout, C, r, r]) + bias, by Winograd's F(2×2, r×r) (blocks/winograd.ts): (r + 1)² GEMMs
   * of [Cout, C]·[C, tiles] instead of one of [Cout, r²C]·[r²C, N·outH·outW] (3×3: 2.25×,
   * 5×5: 2.8× fewer multiplications). Geometry g gives the padding and output size
   * (channels = C). With `adjoint`, w is [C', Cout', r, r] of a forward convolution and the
   * result is that convolution's input gradient for x = its output gradient (pads: r − 1 − the
   * forward's). `tiles`: x's input transforms from winogradInputTiles(x, g), reused instead of
   * recomputed (a training pass keeps them for winogradFilterGrad).
   */
  winogradConv(x: Tensor, w: Tensor, g: ConvGeometry, o: { bias?: Tensor; adjoint?: boolean; tiles?: Tensor } = {}): Tensor {
    const adjoint = o.adjoint ?? false;
    const [n, c] = x.shape;
    const r = w.shape[2];
    const outChannels = adjoint ? w.shape[1] : w.shape[0];
    const wIn = adjoint ? w.shape[0] : w.shape[1];
    if (x.shape.length !== 4 || w.shape.length !== 4 || (r !== 3 && r !== 5) || w.shape[3] !== r || wIn !== c || c !== g.channels) {
      throw new HubelError('shape', `winogradConv: input ${fmtShape(x.shape)} and weight ${fmtShape(w.shape)}${adjoint ? ' (adjoint)' : ''} are not a 3×3 or 5×5 convolution over ${g.channels} channels`);
    }
    if (g.kernelH !== r || g.kernelW !== r || g.strideH !== 1 || g.strideW !== 1 || g.dilationH !== 1 || g.dilationW !== 1 || g.inH !== x.shape[2] || g.inW !== x.shape[3]) {
      throw new HubelError('attribute', `winogradConv: needs a ${r}×${r} kernel, stride 1 and dilation 1 over the input's ${x.shape[2]}×${x.shape[3]}`);
    }
    const s: WinogradShape = { kernel: r, images: n, channels: c, outChannels, inH: g.inH, inW: g.inW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, kernels: this.be.kernels };
    const sizes = winogradScratchSizes(s);
    const bias = o.bias ? this.be.data(o.bias) : undefined;
    if (bias && bias.length !== outChannels) throw new HubelError('shape', `winogradConv: bias has ${bias.length} values, ${outChannels} expected`);
    this.#checkTiles(o.tiles, sizes.v, 'winogradConv');
    const y = this.be.alloc([n, outChannels, g.outH, g.outW]);
    const u = this.be.alloc([sizes.u]), v = o.tiles ?? this.be.alloc([sizes.v]), mm = this.be.alloc([sizes.m]);
    winogradConv(this.be.data(x), this.be.data(w), bias, s, adjoint, this.be.data(y), this.be.data(u), this.be.data(v), this.be.data(mm), o.tiles !== undefined);
    u.dispose();
    if (!o.tiles) v.dispose();
    mm.dispose();
    return y;
  }

  /**
   * The input transforms Bᵀ d B of every α×α tile of x ([N, C, H, W]) for an r×r Winograd
   * convolution with geometry g, as a fresh [α², plane] tensor (C·tiles values per plane, then
   * padding: blocks/winograd.ts's winogradPlane): what winogradConv computes
   * first, kept by a training pass for winogradFilterGrad.
   */
  winogradInputTiles(x: Tensor, g: ConvGeometry): Tensor {
    const r = g.kernelH;
    if (x.shape.length !== 4 || (r !== 3 && r !== 5) || g.kernelW !== r || x.shape[1] !== g.channels || x.shape[2] !== g.inH || x.shape[3] !== g.inW) {
      throw new HubelError('shape', `winogradInputTiles: input ${fmtShape(x.shape)} does not match a ${g.kernelH}×${g.kernelW} convolution (3×3 or 5×5) over ${g.channels}×${g.inH}×${g.inW}`);
    }
    const s: WinogradShape = { kernel: r, images: x.shape[0], channels: g.channels, outChannels: 1, inH: g.inH, inW: g.inW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, kernels: this.be.kernels };
    const v = this.be.alloc([(r + 1) ** 2, winogradPlane(g.channels * winogradTiles(s).tiles)]);
    winogradInputsAll(this.be.data(x), s, this.be.data(v));
    return v;
  }

  #checkTiles(tiles: Tensor | undefined, size: number, op: string): void {
    if (tiles && tiles.size !== size) throw new HubelError('shape', `${op}: input tiles ${fmtShape(tiles.shape)} hold ${tiles.size} values, ${size} expected (from winogradInputTiles of the same input and geometry)`);
  }

  /**
   * The weight gradient ([Cout, C, r, r]) of the r×r (r = 3 or 5) stride-1, undilated,
   * ungrouped convolution of x ([N, C, H, W]) with geometry g, given its output gradient dy
   * ([N, Cout, outH, outW]), by Winograd's F(2×2, r×r) run backwards (blocks/winograd.ts):
   * (r + 1)² GEMMs [Cout, tiles]·[tiles, C] instead of one [Cout, N·outH·outW]·[N·outH·outW, r²C]
   * over im2col columns, and no column matrix. `tiles`: x's winogradInputTiles, if kept.
   */
  winogradFilterGrad(x: Tensor, dy: Tensor, g: ConvGeometry, o: { tiles?: Tensor } = {}): Tensor {
    const [n, c] = x.shape;
    const r = g.kernelH;
    if (x.shape.length !== 4 || dy.shape.length !== 4 || dy.shape[0] !== n || dy.shape[2] !== g.outH || dy.shape[3] !== g.outW || c !== g.channels) {
      throw new HubelError('shape', `winogradFilterGrad: input ${fmtShape(x.shape)} and output gradient ${fmtShape(dy.shape)} do not match a convolution over ${g.channels} channels with ${g.outH}×${g.outW} outputs`);
    }
    if ((r !== 3 && r !== 5) || g.kernelW !== r || g.strideH !== 1 || g.strideW !== 1 || g.dilationH !== 1 || g.dilationW !== 1 || g.inH !== x.shape[2] || g.inW !== x.shape[3]) {
      throw new HubelError('attribute', `winogradFilterGrad: needs a 3×3 or 5×5 kernel (found ${g.kernelH}×${g.kernelW}), stride 1 and dilation 1 over the input's ${x.shape[2]}×${x.shape[3]}`);
    }
    const outChannels = dy.shape[1];
    const s: WinogradShape = { kernel: r, images: n, channels: c, outChannels, inH: g.inH, inW: g.inW, padTop: g.padTop, padLeft: g.padLeft, outH: g.outH, outW: g.outW, kernels: this.be.kernels };
    const sizes = winogradFilterGradScratchSizes(s);
    this.#checkTiles(o.tiles, sizes.v, 'winogradFilterGrad');
    const dw = this.be.alloc([outChannels, c, r, r]);
    const v = o.tiles ?? this.be.alloc([sizes.v]), dm = this.be.alloc([sizes.dm]), du = this.be.alloc([sizes.du]);
    winogradFilterGrad(this.be.data(x), this.be.data(dy), s, this.be.data(dw), this.be.data(v), this.be.data(dm), this.be.data(du), o.tiles !== undefined);
    if (!o.tiles) v.dispose();
    dm.dispose();
    du.dispose();
    return dw;
  }

  /** Adjoint of im2col: folds [C·kH·kW, N·outH·outW] columns into a fresh tensor of `xShape`, summing overlaps. */
  col2im(cols: Tensor, g: ConvGeometry, xShape: Shape): Tensor {
    const dx = this.be.zeros(xShape);
    const n = this.#images(dx, g, 'col2im');
    const l = g.outH * g.outW;
    if (cols.shape.length !== 2 || cols.shape[0] !== g.channels * g.kernelH * g.kernelW || cols.shape[1] !== n * l) {
      throw new HubelError('shape', `col2im: columns ${fmtShape(cols.shape)} do not match ${fmtShape(xShape)} with a ${g.kernelH}×${g.kernelW} kernel and ${g.outH}×${g.outW} outputs`);
    }
    const cs = this.be.data(cols), ds = this.be.data(dx);
    for (let i = 0; i < n; i++) col2im(cs, i * l, n * l, g, ds, i * g.channels * g.inH * g.inW, this.be.kernels);
    return dx;
  }

  /**
   * Axis permutation: x is read as `view` (default its own shape, same size) and the fresh
   * result has shape[a] = view[perm[a]], labelled `outShape` when given (same size again).
   */
  transpose(x: Tensor, perm: readonly number[], view: Shape = x.shape, outShape?: Shape): Tensor {
    const rank = view.length;
    if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
      throw new HubelError('shape', `transpose: [${perm.join(', ')}] is not a permutation of the axes of ${fmtShape(view)}`);
    }
    const permuted = perm.map((p) => view[p]);
    if (sizeOf(view) !== x.size || (outShape && sizeOf(outShape) !== x.size)) {
      throw new HubelError('shape', `transpose: cannot read ${fmtShape(x.shape)} as ${fmtShape(view)}${outShape ? ` or write it as ${fmtShape(outShape)}` : ''}`);
    }
    const out = this.be.alloc(outShape ?? permuted, x.dtype);
    const xs = this.be.data(x), os = this.be.data(out);
    // [A, B, C] → [B, A, C] (a convolution's layout change): rows of C copied by the wasm kernel.
    const k = rank === 3 && perm[0] === 1 && perm[1] === 0 && perm[2] === 2 ? this.#wasm(xs, os) : undefined;
    if (k) k.swap_rows(xs.byteOffset, os.byteOffset, view[0], view[1], view[2]);
    else transpose(xs, view, perm, os);
    return out;
  }

  /**
   * ONNX Pad: a fresh tensor padded by pads = [begins…, ends…] (one pair per axis, ≥ 0), filled
   * with `value` ('constant'), mirrored without repeating the border ('reflect', pads ≤ size − 1)
   * or with the border repeated ('edge').
   */
  pad(x: Tensor, pads: readonly number[], mode: PadMode, value = 0): Tensor {
    const map = this.#padMap(x.shape, pads, mode, 'pad');
    const rank = x.shape.length;
    const out = this.be.alloc(x.shape.map((d, a) => d + pads[a] + pads[a + rank]));
    const xs = this.be.data(x), o = this.be.data(out);
    for (let i = 0; i < map.length; i++) {
      const s = map[i];
      o[i] = s < 0 ? value : xs[s];
    }
    return out;
  }

  /** ∂/∂x of pad: a fresh tensor of `xShape` where each dy element is added to the input element it was copied from. */
  padBackward(dy: Tensor, xShape: Shape, pads: readonly number[], mode: PadMode): Tensor {
    const map = this.#padMap(xShape, pads, mode, 'padBackward');
    if (map.length !== dy.size) throw new HubelError('shape', `padBackward: dy ${fmtShape(dy.shape)} is not ${fmtShape(xShape)} padded by [${pads.join(', ')}]`);
    const dx = this.be.zeros(xShape);
    const d = this.be.data(dy), o = this.be.data(dx);
    for (let i = 0; i < map.length; i++) {
      const s = map[i];
      if (s >= 0) o[s] += d[i];
    }
    return dx;
  }

  #padMap(shape: Shape, pads: readonly number[], mode: PadMode, op: string): Int32Array {
    const rank = shape.length;
    if (pads.length !== 2 * rank || pads.some((p) => !(Number.isInteger(p) && p >= 0))) {
      throw new HubelError('shape', `${op}: expected ${2 * rank} non-negative pads for ${fmtShape(shape)}, found [${pads.join(', ')}]`);
    }
    if (mode === 'reflect') {
      shape.forEach((d, a) => {
        if (pads[a] > d - 1 || pads[a + rank] > d - 1) throw new HubelError('shape', `${op}: reflect padding of axis ${a} by ${pads[a]}/${pads[a + rank]} needs a size above both, found ${d} in ${fmtShape(shape)}`);
      });
    }
    if (mode === 'edge' && shape.some((d, a) => d === 0 && pads[a] + pads[a + rank] > 0)) throw new HubelError('shape', `${op}: edge padding of an empty axis in ${fmtShape(shape)}`);
    return padSource(shape, pads, mode);
  }

  #images(x: Tensor, g: ConvGeometry, op: string): number {
    const per = g.channels * g.inH * g.inW;
    const n = x.shape[0];
    if (x.shape.length < 3 || x.size !== n * per) {
      throw new HubelError('shape', `${op}: ${fmtShape(x.shape)} is not N images of ${g.channels}×${g.inH}×${g.inW}`);
    }
    return n;
  }

  /** Sums over `axes`; the result drops those axes unless `keepDims`. */
  sum(x: Tensor, o: { axes: readonly number[]; keepDims?: boolean }): Tensor {
    const rank = x.shape.length;
    const axes = o.axes.map((a) => (a < 0 ? a + rank : a));
    for (const a of axes) if (a < 0 || a >= rank) throw new HubelError('shape', `sum: axis out of range for shape ${fmtShape(x.shape)}`);
    const shape = o.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = this.be.alloc(shape);
    sumAxes(this.be.data(x), x.shape, axes, this.be.data(out));
    return out;
  }

  /** Same data, new shape (a copy; sizes must match). */
  reshape(x: Tensor, shape: Shape): Tensor {
    if (sizeOf(shape) !== x.size) throw new HubelError('shape', `reshape: cannot view ${fmtShape(x.shape)} as ${fmtShape(shape)}`);
    const out = this.be.alloc(shape, x.dtype);
    (this.be.data(out) as TypedArray).set(this.be.data(x) as TypedArray);
    return out;
  }

  /** Elementwise a·x + b·y (same shapes). */
  axpby(a: number, x: Tensor, b: number, y: Tensor): Tensor {
    if (!sameShape(x.shape, y.shape)) throw new HubelError('shape', `axpby: shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} differ`);
    const out = this.be.alloc(x.shape);
    const o = this.be.data(out), xs = this.be.data(x), ys = this.be.data(y);
    for (let i = 0; i < o.length; i++) o[i] = a * xs[i] + b * ys[i];
    return out;
  }

  /**
   * Log-softmax along `axis` (negative counts from the end): x − max − log Σ e^{x − max}, per
   * slice. `exp` of the result is the softmax.
   */
  logSoftmax(x: Tensor, axis: number): Tensor {
    const rank = x.shape.length;
    const k = axis < 0 ? axis + rank : axis;
    if (!(k >= 0 && k < rank)) throw new HubelError('shape', `logSoftmax: axis ${axis} is out of range for shape ${fmtShape(x.shape)}`);
    const out = this.be.alloc(x.shape);
    logSoftmaxAxis(this.be.data(x), sizeOf(x.shape.slice(0, k)), x.shape[k], sizeOf(x.shape.slice(k + 1)), this.be.data(out));
    return out;
  }

  /** Elementwise product x ⊙ y (same shapes). */
  mul(x: Tensor, y: Tensor): Tensor {
    if (!sameShape(x.shape, y.shape)) throw new HubelError('shape', `mul: shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} differ`);
    const out = this.be.alloc(x.shape);
    const o = this.be.data(out), xs = this.be.data(x), ys = this.be.data(y);
    for (let i = 0; i < o.length; i++) o[i] = xs[i] * ys[i];
    return out;
  }

  /**
   * Window tables for any number of spatial axes (see blocks/window.ts), cached by geometry so a
   * training loop builds them once. The returned plan is shared: treat it as read-only.
   */
  windowPlan(axes: readonly WindowAxis[]): WindowPlan {
    const key = axes.map((a) => `${a.inSize},${a.outSize},${a.kernel},${a.stride},${a.dilation},${a.padBegin},${a.padEnd}`).join(';');
    let plan = this.#plans.get(key);
    if (!plan) {
      plan = windowPlan(axes);
      if (this.#plans.size >= 64) this.#plans.delete(this.#plans.keys().next().value!);
      this.#plans.set(key, plan);
    }
    return plan;
  }

  /**
   * Max over each window of every spatial plane of x (planes = x.size / plan.inPlane). Returns y of
   * `outShape` and `argmax` (int32, same shape): the flat index into x of each window's first
   * maximum in row-major window order. The caller owns both.
   */
  windowMax(x: Tensor, plan: WindowPlan, outShape: Shape): { y: Tensor; argmax: Tensor } {
    const planes = this.#planes(x, plan, outShape, 'windowMax');
    const y = this.be.alloc(outShape);
    const argmax = this.be.alloc(outShape, 'int32');
    windowMax(this.be.data(x), planes, plan, this.be.data(y), this.be.ints(argmax), this.be.kernels);
    return { y, argmax };
  }

  /** Sum over each window of every plane of x, divided per `divisor` (sum, or average over image / padded taps). */
  windowSum(x: Tensor, plan: WindowPlan, divisor: WindowDivisor, outShape: Shape): Tensor {
    const planes = this.#planes(x, plan, outShape, 'windowSum');
    const y = this.be.alloc(outShape);
    windowSum(this.be.data(x), planes, plan, divisor, this.be.data(y));
    return y;
  }

  /** ∂/∂x of windowSum: each dy[o] / divisor(o) added to every tap of window o; a fresh tensor of `xShape`. */
  windowSumBackward(dy: Tensor, plan: WindowPlan, divisor: WindowDivisor, xShape: Shape): Tensor {
    const dx = this.be.alloc(xShape);
    const planes = this.#planes(dx, plan, dy.shape, 'windowSumBackward');
    windowSumBackward(this.be.data(dy), planes, plan, divisor, this.be.data(dx));
    return dx;
  }

  /** ReLU: a fresh y = x·[x > 0] + 0 (a NaN or −∞ input gives NaN, −0 gives 0). */
  relu(x: Tensor): Tensor {
    const y = this.be.alloc(x.shape);
    reluForward(this.be.data(x), this.be.data(y), this.be.kernels);
    return y;
  }

  /** ReLU's input gradient: a fresh dx = dy·[x > 0] + 0. */
  reluBackward(x: Tensor, dy: Tensor): Tensor {
    if (!sameShape(x.shape, dy.shape)) throw new HubelError('shape', `reluBackward: input ${fmtShape(x.shape)} and gradient ${fmtShape(dy.shape)} differ`);
    const dx = this.be.alloc(x.shape);
    reluBackward(this.be.data(x), this.be.data(dy), this.be.data(dx), this.be.kernels);
    return dx;
  }

  /**
   * Per-channel mean and biased variance (float64, two passes) of x ([N, C, …] viewed as
   * [N, C, S]): batch normalization's batch statistics.
   */
  channelMoments(x: Tensor): { readonly mean: Float64Array; readonly variance: Float64Array } {
    const [n, c, s] = this.#channels(x, 'channelMoments');
    return channelMoments(this.be.data(x), n, c, s, this.be.kernels);
  }

  /** A fresh y = scale_c·(x − mean_c) + shift_c per channel c of x ([N, C, …]); float64 arithmetic, rounded once. */
  channelAffine(x: Tensor, mean: ArrayLike<number>, scale: ArrayLike<number>, shift: ArrayLike<number>): Tensor {
    const [n, c, s] = this.#channels(x, 'channelAffine', mean, scale, shift);
    const y = this.be.alloc(x.shape);
    channelAffine(this.be.data(x), this.be.data(y), n, c, s, mean, scale, shift, this.be.kernels);
    return y;
  }

  /** Per channel of x and dy ([N, C, …], same shape): Σ dy and Σ dy·(x − mean_c), float64. */
  channelGradSums(x: Tensor, dy: Tensor, mean: ArrayLike<number>): { readonly sumDy: Float64Array; readonly sumDyCentered: Float64Array } {
    const [n, c, s] = this.#channels(x, 'channelGradSums', mean);
    if (!sameShape(x.shape, dy.shape)) throw new HubelError('shape', `channelGradSums: input ${fmtShape(x.shape)} and gradient ${fmtShape(dy.shape)} differ`);
    return channelGradSums(this.be.data(x), this.be.data(dy), n, c, s, mean, this.be.kernels);
  }

  /** A fresh dx = a_c·dy + b_c·(x − mean_c) + d_c per channel c of x and dy ([N, C, …]); float64 arithmetic, rounded once. */
  channelAffineGrad(x: Tensor, dy: Tensor, mean: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, d: ArrayLike<number>): Tensor {
    const [n, c, s] = this.#channels(x, 'channelAffineGrad', mean, a, b, d);
    if (!sameShape(x.shape, dy.shape)) throw new HubelError('shape', `channelAffineGrad: input ${fmtShape(x.shape)} and gradient ${fmtShape(dy.shape)} differ`);
    const dx = this.be.alloc(x.shape);
    channelAffineGrad(this.be.data(x), this.be.data(dy), this.be.data(dx), n, c, s, mean, a, b, d, this.be.kernels);
    return dx;
  }

  /** [N, C, S] of x (rank ≥ 2), checking that every per-channel array has C values. */
  #channels(x: Tensor, op: string, ...perChannel: ArrayLike<number>[]): [number, number, number] {
    if (x.shape.length < 2) throw new HubelError('shape', `${op}: expected [N, C, …], found ${fmtShape(x.shape)}`);
    const [n, c] = x.shape;
    const bad = perChannel.find((p) => p.length !== c);
    if (bad) throw new HubelError('shape', `${op}: ${bad.length} per-channel values for ${c} channels of ${fmtShape(x.shape)}`);
    return [n, c, n * c === 0 ? 0 : x.size / (n * c)];
  }

  /** dx of `shape`, zero except dx[index[i]] += dy[i] (index: int32, as many elements as dy). */
  scatterAdd(dy: Tensor, index: Tensor, shape: Shape): Tensor {
    if (index.size !== dy.size) throw new HubelError('shape', `scatterAdd: ${index.size} indices for ${fmtShape(dy.shape)} gradients`);
    const dx = this.be.alloc(shape);
    scatterAdd(this.be.data(dy), this.be.ints(index), this.be.data(dx));
    return dx;
  }

  #planes(x: Tensor, plan: WindowPlan, outShape: Shape, op: string): number {
    const planes = x.size / plan.inPlane;
    if (!Number.isInteger(planes) || sizeOf(outShape) !== planes * plan.outPlane) {
      throw new HubelError(
        'shape',
        `${op}: ${fmtShape(x.shape)} is not a whole number of ${planeDims(plan, 'inSize')} planes with ${planeDims(plan, 'outSize')} outputs each, as ${fmtShape(outShape)} requires`,
      );
    }
    return planes;
  }
}

/** `D×H×W` of a plan's input or output plane, for messages (a 1-D plan shows its unit row axis). */
function planeDims(plan: WindowPlan, which: 'inSize' | 'outSize'): string {
  return [...plan.lead, plan.rows, plan.cols].map((t) => t[which]).join('×');
}
