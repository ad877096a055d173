/**
 * The WebAssembly heap: one memory that the wasm kernels of every thread import, and where the
 * CPU backend keeps its float32 tensors when the memory can be shared (SharedArrayBuffer: Node,
 * and browsers when cross-origin isolated). Kernels then read and write tensors where they are,
 * by address, without copying them in or out; worker threads import the same memory.
 *
 * Blocks are 64-byte aligned and handed out by size: a freed block goes on its size's free list
 * and is reused for the next block of that size; new sizes are cut from the top, growing the
 * memory when needed. A typed array that is garbage-collected without being freed returns its
 * block through a FinalizationRegistry. When the memory cannot grow (it reached its maximum, or
 * the engine refused), `allocF32` returns undefined and the caller uses ordinary memory.
 */
import type { WasmMemory } from './blocks/gemm-wasm.js';

/** The WebAssembly.Memory constructor, typed here (no DOM library or @types/node needed). */
type MemoryCtor = new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;

const PAGE = 65536;
const ALIGN = 64;

/** A heap over one WebAssembly memory; see the file comment. */
export class WasmHeap {
  /** The memory every kernel instance imports. */
  readonly memory: WasmMemory;
  /** Whether the memory is shared, so tensors may live in it (and worker threads see it). */
  readonly shared: boolean;
  /** Largest size the memory may reach, in bytes. */
  readonly maxBytes: number;
  #top = ALIGN; // address 0 is never handed out
  readonly #free = new Map<number, number[]>();
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  readonly #registry = new FinalizationRegistry<{ at: number; bytes: number }>(({ at, bytes }) => this.#release(at, bytes));
  #inUse = 0;

  private constructor(memory: WasmMemory, shared: boolean, maxPages: number) {
    this.memory = memory;
    this.shared = shared;
    this.maxBytes = maxPages * PAGE;
    this.#buffers.add(memory.buffer);
  }

  /**
   * A heap over a new memory: shared with a maximum of 4 GiB, 1 GiB or 256 MiB (the first the
   * engine grants; `maxPagesWanted` in 64 KiB pages) where SharedArrayBuffer exists, else private
   * (scratch only; growth of a private memory detaches its buffer, so tensors never live there).
   */
  static create(maxPagesWanted: readonly number[] = [65536, 16384, 4096]): WasmHeap | undefined {
    const ctor = (globalThis as { WebAssembly?: { Memory: MemoryCtor } }).WebAssembly?.Memory;
    if (!ctor) return undefined;
    if (typeof SharedArrayBuffer === 'function') {
      for (const maxPages of maxPagesWanted) {
        try {
          return new WasmHeap(new ctor({ initial: 16, maximum: maxPages, shared: true }), true, maxPages);
        } catch {
          // the engine would not reserve that much: try less
        }
      }
    }
    try {
      return new WasmHeap(new ctor({ initial: 16, maximum: 65536 }), false, 65536);
    } catch {
      return undefined;
    }
  }

  /** Whether `x` views this heap's memory (its buffer is one this memory has had). */
  contains(x: { readonly buffer: ArrayBufferLike }): boolean {
    return this.#buffers.has(x.buffer);
  }

  /** The memory's current buffer (recorded, so that views of it are recognized by contains). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.#buffers.add(b);
    return b;
  }

  /** Bytes in blocks handed out and not freed. */
  get bytesInUse(): number {
    return this.#inUse;
  }

  /** Bytes of memory the heap has now. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * A block of at least `bytes` bytes: its address, or undefined when the memory cannot grow
   * that far. Blocks come back through free().
   */
  alloc(bytes: number): number | undefined {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const list = this.#free.get(size);
    let at = list?.pop();
    if (at === undefined) {
      // 64 bytes of slack past the top block: a kernel may load (never store) a vector past an array's end.
      if (!this.#reserve(this.#top + size + ALIGN)) return undefined;
      at = this.#top;
      this.#top += size;
    }
    this.#inUse += size;
    return at;
  }

  /** Returns a block from alloc() (bytes: the size asked for). */
  free(at: number, bytes: number): void {
    this.#release(at, Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN));
  }

  /**
   * A Float32Array of n elements in the heap, or undefined when the heap is not shared or
   * cannot grow. If the array is garbage-collected without freeView, its block is freed then.
   */
  allocF32(n: number): Float32Array | undefined {
    return this.#view(n, (buffer, at) => new Float32Array(buffer, at, n));
  }

  /** An Int32Array of n elements in the heap (as allocF32). */
  allocI32(n: number): Int32Array | undefined {
    return this.#view(n, (buffer, at) => new Int32Array(buffer, at, n));
  }

  /** Frees an array from allocF32 or allocI32 now (it must not be used afterwards). */
  freeView(arr: Float32Array | Int32Array): void {
    this.#registry.unregister(arr);
    this.free(arr.byteOffset, 4 * arr.length);
  }

  #view<T extends Float32Array | Int32Array>(n: number, make: (buffer: ArrayBufferLike, at: number) => T): T | undefined {
    if (!this.shared) return undefined;
    const at = this.alloc(4 * n);
    if (at === undefined) return undefined;
    const arr = make(this.buffer(), at);
    this.#registry.register(arr, { at, bytes: Math.max(ALIGN, Math.ceil((4 * n) / ALIGN) * ALIGN) }, arr);
    return arr;
  }

  #release(at: number, size: number): void {
    let list = this.#free.get(size);
    if (!list) this.#free.set(size, (list = []));
    list.push(at);
    this.#inUse -= size;
  }

  /** Grows the memory to at least `end` bytes (by at least a quarter each time); false if it cannot. */
  #reserve(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return true;
    if (end > this.maxBytes) return false;
    const want = Math.min(this.maxBytes, Math.max(end, have + Math.floor(have / 4)));
    try {
      this.memory.grow(Math.ceil((want - have) / PAGE));
    } catch {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        return false;
      }
    }
    this.buffer();
    return true;
  }
}
