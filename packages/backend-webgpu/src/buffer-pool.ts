// Pooled GPU buffers by size class: a freed buffer goes back to the free list of its class and
// the next request of that class reuses it, so a training loop stops creating buffers after
// its first step (stats().buffersCreated stays flat).
import { HubelError } from '@hubel/core';
import { BufferUsage } from './gpu-constants.js';

/** A pooled buffer: `bytes` is its size class (≥ what was asked for). */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
  readonly usage: number;
}

/**
 * Size classes: multiples of 256 bytes up to 4 KiB, then four classes per power of two
 * (2^k·{1, 1.25, 1.5, 1.75}), so a buffer is at most 25% larger than asked.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 256) * 256);
  if (b <= 4096) return b;
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 4;
  return Math.ceil(b / step) * step;
}

/**
 * Buffers are handed out by (usage, size class). Buffers released while a command batch is
 * still being encoded may be referenced by that batch; they go to a `recycled` list that only
 * GPU-written users (kernel outputs, whose writes are ordered after the earlier reads in the
 * same command stream) may take, and become free for `queue.writeBuffer` uploads once the
 * batch is submitted (`endBatch`).
 */
export class BufferPool {
  readonly #free = new Map<string, PooledBuffer[]>();
  readonly #recycled = new Map<string, PooledBuffer[]>();
  #created = 0;
  #bytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBindingBytes: number,
  ) {}

  /** Buffers ever created (the number a pooled training loop keeps flat). */
  get created(): number {
    return this.#created;
  }

  /** Bytes held in created buffers (live and pooled). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * A buffer of at least `bytes` with `usage`. `forUpload` buffers are filled by
   * `queue.writeBuffer`, which runs before the open batch, so they never come from the recycled list.
   */
  acquire(bytes: number, usage: number, what: string, forUpload = false): PooledBuffer {
    const size = sizeClass(bytes);
    if (size > this.maxBindingBytes && (usage & BufferUsage.STORAGE) !== 0) {
      throw new HubelError(
        'backend',
        `webgpu backend: ${what} needs ${bytes} bytes, over this adapter's maxStorageBufferBindingSize of ${this.maxBindingBytes} bytes; use a smaller batch or split the tensor`,
      );
    }
    const key = `${usage}:${size}`;
    const reused = (forUpload ? undefined : this.#recycled.get(key)?.pop()) ?? this.#free.get(key)?.pop();
    if (reused) return reused;
    const buffer = this.device.createBuffer({ size, usage, label: what });
    this.#created++;
    this.#bytes += size;
    return { buffer, bytes: size, usage };
  }

  /** Returns a buffer to the pool; `inBatch` when the open command batch may still use it. */
  release(b: PooledBuffer, inBatch: boolean): void {
    const map = inBatch ? this.#recycled : this.#free;
    const key = `${b.usage}:${b.bytes}`;
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(b);
  }

  /** The batch was submitted: recycled buffers are now safe for uploads too. */
  endBatch(): void {
    for (const [key, list] of this.#recycled) {
      if (!list.length) continue;
      let free = this.#free.get(key);
      if (!free) this.#free.set(key, (free = []));
      free.push(...list);
      list.length = 0;
    }
  }

  /** Destroys every pooled (not live) buffer. */
  trim(): void {
    for (const map of [this.#free, this.#recycled]) {
      for (const list of map.values()) {
        for (const b of list) {
          b.buffer.destroy();
          this.#bytes -= b.bytes;
        }
        list.length = 0;
      }
    }
  }
}
