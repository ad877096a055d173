import {
  HubelError,
  Tensor,
  expectBackend,
  fmtShape,
  sizeOf,
  type Backend,
  type BackendStats,
  type CoreOps,
  type DType,
  type Shape,
  type TypedArray,
} from '@hubel/core';
import { WebGpuBlocks } from './blocks/index.js';
import { BufferPool, type PooledBuffer } from './buffer-pool.js';
import { acquireDevice, type DeviceOptions } from './device.js';
import { CommandBatch } from './encoder.js';
import { BufferUsage, MAP_READ } from './gpu-constants.js';
import { GpuErrorSink } from './gpu-errors.js';
import { createOps } from './ops.js';
import { PipelineCache } from './pipeline-cache.js';
import type { Program } from './program.js';

/** Options of `createWebGpuBackend`: where the device comes from (see `DeviceOptions`). */
export type WebGpuBackendOptions = DeviceOptions;

/** Statistics of the WebGPU backend: core's plus pool, pipeline and submission counts. */
export interface WebGpuStats extends BackendStats {
  /** Bytes held by created buffers, live and pooled. */
  readonly bufferBytes: number;
  /** Compute pipelines compiled (cached by program key). */
  readonly pipelines: number;
  /** Command buffers submitted (one per batch). */
  readonly submits: number;
}

const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
const STAGING_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;

/**
 * The WebGPU backend: float32 tensors (int32 for labels) in pooled storage buffers. Kernels
 * encode dispatches into a shared command batch; `await t.read()` or `sync()` submits it. Errors
 * the GPU reports asynchronously (WGSL compile errors, validation, device loss) are thrown as
 * HubelErrors by the next `read`/`sync`.
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly floatType = 'float32';
  /** The adapter's description, e.g. 'llvmpipe-… (OpenGL ES 3.2 Mesa 22.3.6)'. */
  readonly description: string;
  /** True on software adapters (llvmpipe, SwiftShader): their timings are not GPU timings. */
  readonly software: boolean;
  /** The GPU device all buffers and pipelines belong to. */
  readonly device: GPUDevice;
  readonly ops: CoreOps;
  /** The shared WGSL building blocks (GEMM, im2col/col2im, windows, reductions, elementwise). */
  readonly blocks: WebGpuBlocks;
  /** The largest storage binding, in bytes; tensors over it are refused. */
  readonly maxBindingBytes: number;
  readonly #pool: BufferPool;
  readonly #pipelines: PipelineCache;
  readonly #batch: CommandBatch;
  readonly #sink: GpuErrorSink;
  readonly #ownsDevice: boolean;
  #live = 0;
  #disposed = false;

  private constructor(device: GPUDevice, description: string, software: boolean, ownsDevice: boolean) {
    this.device = device;
    this.description = description;
    this.software = software;
    this.#ownsDevice = ownsDevice;
    this.maxBindingBytes = device.limits.maxStorageBufferBindingSize;
    this.#sink = new GpuErrorSink(device);
    this.#pool = new BufferPool(device, this.maxBindingBytes);
    this.#pipelines = new PipelineCache(device, this.#sink);
    this.#batch = new CommandBatch(device, this.#pool, this.#sink);
    this.ops = createOps(this);
    this.blocks = new WebGpuBlocks(this);
  }

  /** Finds an adapter, makes a device with explicit limits; throws a HubelError saying why when none exists. */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const d = await acquireDevice(options);
    return new WebGpuBackend(d.device, d.description, d.software, d.owned);
  }

  /** The storage buffer of a tensor on this backend; `where` names the caller in the error for foreign or disposed tensors. */
  buffer(t: Tensor, where: string): GPUBuffer {
    expectBackend(t, this, where);
    return (t.storage as PooledBuffer).buffer;
  }

  /** A new tensor with unspecified contents, to be written by a kernel (GPU-side) before it is read. */
  alloc(shape: Shape, dtype?: DType): Tensor {
    return this.#make(shape, this.#dtype(dtype), false);
  }

  zeros(shape: Shape, dtype?: DType): Tensor {
    const t = this.alloc(shape, dtype);
    if (t.size) this.#batch.clear(this.buffer(t, 'zeros'), t.size * 4);
    return t;
  }

  tensor(values: ArrayLike<number>, shape: Shape, dtype?: DType): Tensor {
    const n = sizeOf(shape);
    if (values.length !== n) throw new HubelError('shape', `webgpu backend: ${values.length} values given for shape ${fmtShape(shape)} (${n} expected)`);
    const dt = this.#dtype(dtype);
    const host = dt === 'int32' ? new Int32Array(n) : new Float32Array(n);
    if (dt === 'int32') {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (!Number.isInteger(v)) throw new HubelError('dtype', `webgpu backend: int32 tensor given non-integer value ${v} at index ${i}`);
        host[i] = v;
      }
    } else host.set(values);
    const t = this.#make(shape, dt, true);
    if (n) this.device.queue.writeBuffer(this.buffer(t, 'tensor'), 0, host.buffer as ArrayBuffer, 0, n * 4);
    return t;
  }

  /** Submits pending work, copies the tensor to a staging buffer and maps it; throws any pending GPU error. */
  async read(t: Tensor): Promise<TypedArray> {
    const src = this.buffer(t, 'read');
    this.#checkUsable('read');
    const bytes = t.size * 4;
    const out = t.dtype === 'int32' ? new Int32Array(t.size) : new Float32Array(t.size);
    if (!bytes) {
      await this.sync();
      return out;
    }
    const staging = this.#pool.acquire(bytes, STAGING_USAGE, `read ${fmtShape(t.shape)}`, true);
    this.#batch.copy(src, staging.buffer, bytes);
    this.#batch.submit();
    try {
      await staging.buffer.mapAsync(MAP_READ, 0, bytes);
    } catch (e) {
      await this.#sink.check();
      throw new HubelError('backend', `webgpu backend: reading ${t} failed: ${(e as Error).message}`, { cause: e });
    }
    out.set(t.dtype === 'int32' ? new Int32Array(staging.buffer.getMappedRange(0, bytes)) : new Float32Array(staging.buffer.getMappedRange(0, bytes)));
    staging.buffer.unmap();
    this.#pool.release(staging, false);
    await this.#sink.check();
    return out;
  }

  release(_t: Tensor, storage: unknown): void {
    this.#live--;
    if (this.#disposed) return;
    this.#pool.release(storage as PooledBuffer, this.#batch.open);
  }

  /** Submits pending work and waits for the GPU to finish it; throws any pending GPU error. */
  async sync(): Promise<void> {
    this.#checkUsable('sync');
    this.#batch.submit();
    await this.device.queue.onSubmittedWorkDone();
    await this.#sink.check();
  }

  stats(): WebGpuStats {
    return {
      liveTensors: this.#live,
      buffersCreated: this.#pool.created,
      bufferBytes: this.#pool.bytes,
      pipelines: this.#pipelines.size,
      submits: this.#batch.submitted,
    };
  }

  /**
   * Encodes one dispatch of `program` (compiled once per key). `bindings` match the program's
   * storage declarations (tensors of this backend, or raw buffers); `uniforms` its uniform fields.
   * Nothing runs until the batch is submitted by a read or sync.
   */
  run(program: Program, bindings: readonly (Tensor | GPUBuffer)[], uniforms: readonly number[], workgroups: readonly [number, number, number]): void {
    this.#checkUsable(program.name);
    const buffers = bindings.map((b, i) => (b instanceof Tensor ? this.buffer(b, `webgpu kernel '${program.name}' binding '${program.storage[i]?.name}'`) : b));
    const limit = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (workgroups.some((w) => w > limit)) throw new HubelError('backend', `webgpu kernel '${program.name}': ${workgroups.join('×')} workgroups, over the ${limit} per dimension this device allows`);
    if (workgroups.some((w) => w === 0)) return;
    this.#batch.dispatch(this.#pipelines.get(program), uniforms, buffers, workgroups);
  }

  /** Encodes a copy of `src` into `dst` (whole tensors of the same byte size). */
  copyInto(src: Tensor, dst: Tensor, where: string): void {
    if (src.size !== dst.size) throw new HubelError('shape', `${where}: copying ${fmtShape(src.shape)} into ${fmtShape(dst.shape)}`);
    if (src.size) this.#batch.copy(this.buffer(src, where), this.buffer(dst, where), src.size * 4);
  }

  /** Submits pending work now (reads and syncs do this themselves). */
  flush(): void {
    this.#batch.submit();
  }

  /** Frees pooled buffers and, when the backend created the device, destroys it. Tensors still alive become unusable. */
  dispose(): void {
    if (this.#disposed) return;
    this.#batch.submit();
    this.#disposed = true;
    this.#pool.trim();
    if (this.#ownsDevice) {
      this.#sink.destroying();
      this.device.destroy();
    }
  }

  #make(shape: Shape, dtype: DType, forUpload: boolean): Tensor {
    this.#checkUsable('alloc');
    for (const d of shape) if (!(Number.isInteger(d) && d >= 0)) throw new HubelError('shape', `webgpu backend: bad shape ${fmtShape(shape)}`);
    const n = sizeOf(shape);
    const b = this.#pool.acquire(n * 4, STORAGE_USAGE, `tensor ${fmtShape(shape)} ${dtype}`, forUpload);
    this.#live++;
    return new Tensor(this, [...shape], dtype, b);
  }

  #dtype(dtype: DType | undefined): DType {
    // Float tensors take the backend's float type, as on the CPU backend: float64 requests become float32.
    if (dtype === undefined || dtype === 'float32' || dtype === 'float64') return 'float32';
    if (dtype === 'int32') return 'int32';
    throw new HubelError('dtype', `webgpu backend: unknown dtype '${String(dtype)}' (float32 and int32 are supported)`);
  }

  #checkUsable(what: string): void {
    if (this.#disposed) throw new HubelError('disposed', `webgpu backend: ${what} after the backend was disposed`);
    this.#sink.throwIfLost(`webgpu backend: ${what}`);
  }
}
