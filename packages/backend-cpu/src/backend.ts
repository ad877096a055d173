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
import { sumAxes } from './blocks/reduce.js';

export interface CpuBackendOptions {
  /** Float element type: 'float32' (default) or 'float64' for gradient checks. */
  readonly dtype?: 'float32' | 'float64';
}

/**
 * The CPU reference backend: tensors are typed arrays (Float32Array, or Float64Array in
 * float64 mode; Int32Array for labels). Freed arrays go to a pool keyed by length, so a
 * training loop stops allocating after its first steps.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly floatType: 'float32' | 'float64';
  readonly description: string;
  readonly ops: CoreOps;
  readonly blocks: CpuBlocks;
  readonly #pool = new Map<string, TypedArray[]>();
  #live = 0;
  #created = 0;

  constructor(options: CpuBackendOptions = {}) {
    this.floatType = options.dtype ?? 'float32';
    if (this.floatType !== 'float32' && this.floatType !== 'float64') throw new HubelError('attribute', `cpu backend: dtype must be 'float32' or 'float64', found '${String(this.floatType)}'`);
    this.description = `CPU reference (${this.floatType}, TypeScript)`;
    this.ops = createOps(this);
    this.blocks = new CpuBlocks(this);
  }

  /** The typed array behind a tensor (throws if disposed or from another backend). */
  data(t: Tensor): F {
    if (t.backend !== this) throw new HubelError('backend', `${t} is not on this CPU backend`);
    return t.storage as F;
  }

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
      arr = dt === 'float32' ? new Float32Array(n) : dt === 'float64' ? new Float64Array(n) : new Int32Array(n);
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

  release(_t: Tensor, storage: unknown): void {
    const arr = storage as TypedArray;
    const dt = arr instanceof Float32Array ? 'float32' : arr instanceof Float64Array ? 'float64' : 'int32';
    const key = `${dt}:${arr.length}`;
    let list = this.#pool.get(key);
    if (!list) this.#pool.set(key, (list = []));
    if (list.length < 16) list.push(arr);
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

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** Added to every row of the result (length n): Linear's bias. */
  colBias?: Tensor;
  /** Added to every column of the result (length m): a conv's per-channel bias. */
  rowBias?: Tensor;
}

/**
 * Tensor-level building blocks that layer kernels call instead of writing their own loops.
 * Every block returns a fresh tensor the caller owns.
 */
export class CpuBlocks {
  constructor(private readonly be: CpuBackend) {}

  /** op(A)·op(B) for 2-D tensors, plus optional row/column bias. */
  gemm(A: Tensor, B: Tensor, o: GemmOptions = {}): Tensor {
    if (A.shape.length !== 2 || B.shape.length !== 2) throw new HubelError('shape', `gemm: expected 2-D operands, found ${fmtShape(A.shape)} and ${fmtShape(B.shape)}`);
    const [m, ka] = o.transA ? [A.shape[1], A.shape[0]] : A.shape;
    const [kb, n] = o.transB ? [B.shape[1], B.shape[0]] : B.shape;
    if (ka !== kb) throw new HubelError('shape', `gemm: inner dimensions differ: op(A) is ${m}×${ka}, op(B) is ${kb}×${n}`);
    const out = this.be.alloc([m, n]);
    const c = this.be.data(out);
    gemm({ m, n, k: ka, a: this.be.data(A), b: this.be.data(B), c, transA: o.transA, transB: o.transB, alpha: o.alpha });
    if (o.colBias) {
      const b = this.be.data(o.colBias);
      if (b.length !== n) throw new HubelError('shape', `gemm: column bias has ${b.length} values, ${n} expected`);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] += b[j];
    }
    if (o.rowBias) {
      const b = this.be.data(o.rowBias);
      if (b.length !== m) throw new HubelError('shape', `gemm: row bias has ${b.length} values, ${m} expected`);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] += b[i];
    }
    return out;
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

  /** Elementwise product x ⊙ y (same shapes). */
  mul(x: Tensor, y: Tensor): Tensor {
    if (!sameShape(x.shape, y.shape)) throw new HubelError('shape', `mul: shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} differ`);
    const out = this.be.alloc(x.shape);
    const o = this.be.data(out), xs = this.be.data(x), ys = this.be.data(y);
    for (let i = 0; i < o.length; i++) o[i] = xs[i] * ys[i];
    return out;
  }
}
