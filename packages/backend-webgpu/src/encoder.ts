// Command batching: kernels encode their dispatches into one shared command encoder (one
// compute pass while only dispatches follow each other); the batch is submitted when
// something must reach the host (read, sync) or the uniform arena fills. No read-back
// happens between layers.
//
// Uniforms of every dispatch in a batch are packed into one host-side arena and written to a
// single uniform buffer just before submission; `queue.writeBuffer` is ordered before the
// batch's command buffer and after every earlier submission, so each batch sees its own values.
import { HubelError } from '@hubel/core';
import type { BufferPool } from './buffer-pool.js';
import { BufferUsage } from './gpu-constants.js';
import { errorKind, type GpuErrorSink } from './gpu-errors.js';
import type { CachedPipeline } from './pipeline-cache.js';

const ARENA_BYTES = 64 * 1024;

/** The open command batch of one device: dispatches, copies and clears, submitted together. */
export class CommandBatch {
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  #kernels: string[] = [];
  readonly #arena = new ArrayBuffer(ARENA_BYTES);
  readonly #arenaU32 = new Uint32Array(this.#arena);
  readonly #arenaF32 = new Float32Array(this.#arena);
  readonly #arenaI32 = new Int32Array(this.#arena);
  readonly #uniforms: GPUBuffer;
  readonly #align: number;
  #arenaUsed = 0;
  #submitted = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly pool: BufferPool,
    private readonly sink: GpuErrorSink,
  ) {
    this.#uniforms = device.createBuffer({ size: ARENA_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: 'hubel uniforms' });
    this.#align = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
  }

  /** True while commands are encoded and not yet submitted. */
  get open(): boolean {
    return this.#encoder !== undefined;
  }

  /** Command buffers submitted so far. */
  get submitted(): number {
    return this.#submitted;
  }

  /**
   * Encodes one dispatch. `uniforms` are 32-bit words typed by the program's declaration;
   * `buffers` are bound at 1…n.
   */
  dispatch(p: CachedPipeline, uniforms: readonly number[], buffers: readonly GPUBuffer[], workgroups: readonly [number, number, number]): void {
    const decl = p.program.uniforms;
    if (uniforms.length !== decl.length) {
      throw new HubelError('backend', `webgpu kernel '${p.program.name}': ${uniforms.length} uniform values given, the program declares ${decl.length} (${decl.map(([n]) => n).join(', ')})`);
    }
    if (buffers.length !== p.program.storage.length) {
      throw new HubelError('backend', `webgpu kernel '${p.program.name}': ${buffers.length} buffers given, the program binds ${p.program.storage.length} (${p.program.storage.map((s) => s.name).join(', ')})`);
    }
    const bytes = Math.max(16, Math.ceil((decl.length * 4) / 16) * 16);
    if (this.#arenaUsed + bytes > ARENA_BYTES) this.submit();
    const offset = this.#arenaUsed;
    const w = offset / 4;
    for (let i = 0; i < decl.length; i++) {
      const t = decl[i][1];
      if (t === 'f32') this.#arenaF32[w + i] = uniforms[i];
      else if (t === 'i32') this.#arenaI32[w + i] = uniforms[i];
      else this.#arenaU32[w + i] = uniforms[i];
    }
    this.#arenaUsed = Math.ceil((offset + bytes) / this.#align) * this.#align;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.#uniforms, offset, size: bytes } }];
    for (let i = 0; i < buffers.length; i++) entries.push({ binding: i + 1, resource: { buffer: buffers[i] } });
    const pass = this.#computePass();
    pass.setPipeline(p.pipeline);
    pass.setBindGroup(0, this.device.createBindGroup({ layout: p.layout, entries, label: p.program.name }));
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    this.#kernels.push(p.program.name);
  }

  /** Encodes a buffer-to-buffer copy. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.#endPass();
    this.#commands().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.#kernels.push('copy');
  }

  /** Encodes zero-filling the first `bytes` of a buffer. */
  clear(buffer: GPUBuffer, bytes: number): void {
    this.#endPass();
    this.#commands().clearBuffer(buffer, 0, bytes);
    this.#kernels.push('clear');
  }

  /** Submits the batch (no-op when empty); validation errors are reported with its kernels' names. */
  submit(): void {
    if (!this.#encoder) return;
    this.#endPass();
    const encoder = this.#encoder;
    const kernels = this.#kernels;
    this.#encoder = undefined;
    this.#kernels = [];
    if (this.#arenaUsed) this.device.queue.writeBuffer(this.#uniforms, 0, this.#arena, 0, this.#arenaUsed);
    this.#arenaUsed = 0;
    this.device.queue.submit([encoder.finish()]);
    this.#submitted++;
    this.pool.endBatch();
    this.sink.track(
      Promise.all([this.device.popErrorScope(), this.device.popErrorScope()]).then(([oom, validation]) => {
        const err = validation ?? oom;
        if (!err) return null;
        const names = [...new Set(kernels)].join(', ');
        return new HubelError('backend', `webgpu backend: ${errorKind(err)} in a batch of ${kernels.length} commands (kernels: ${names}): ${err.message}`);
      }),
    );
  }

  #commands(): GPUCommandEncoder {
    if (!this.#encoder) {
      // One scope pair per batch: every error from encoding or submitting it lands here.
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.#encoder = this.device.createCommandEncoder({ label: 'hubel batch' });
    }
    return this.#encoder;
  }

  #computePass(): GPUComputePassEncoder {
    if (!this.#pass) this.#pass = this.#commands().beginComputePass();
    return this.#pass;
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = undefined;
  }
}
