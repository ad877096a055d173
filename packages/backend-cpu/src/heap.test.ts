import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { wasmGemmState } from './blocks/gemm-wasm.js';
import { WasmHeap } from './heap.js';

describe('the WebAssembly heap', () => {
  it('hands out 64-byte-aligned blocks, reuses a freed block of the same size, and recognizes its views', () => {
    const heap = WasmHeap.create([64])!;
    expect(heap.shared).toBe(true);
    const a = heap.allocF32(100)!, b = heap.allocF32(100)!;
    expect(a.byteOffset % 64).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 400);
    expect(heap.contains(a) && heap.contains(b.subarray(3))).toBe(true);
    expect(heap.contains(new Float32Array(100))).toBe(false);
    const inUse = heap.bytesInUse;
    heap.freeView(a);
    expect(heap.bytesInUse).toBe(inUse - 448); // 400 bytes rounded up to 64
    const c = heap.allocI32(100)!;
    expect(c.byteOffset).toBe(a.byteOffset);
  });

  it('grows without moving earlier arrays, and says no (undefined) past its maximum', () => {
    const heap = WasmHeap.create([64])!; // 4 MiB at most
    const first = heap.allocF32(1000)!;
    first.fill(7);
    const before = heap.bytes;
    const big = heap.allocF32(600_000)!; // 2.4 MB: the memory grows
    expect(heap.bytes).toBeGreaterThan(before);
    expect(big.length).toBe(600_000);
    expect(first[999]).toBe(7);
    expect(heap.contains(first) && heap.contains(big)).toBe(true);
    expect(heap.allocF32(600_000)).toBeUndefined(); // would pass 4 MiB
    expect(heap.allocF32(1000)).toBeDefined(); // small blocks still fit
  });

  it('returns the block of an array that is garbage-collected without being freed', () => {
    const src = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'heap.js')).href;
    const code = `
      const { WasmHeap } = await import(${JSON.stringify(src)});
      const heap = WasmHeap.create([64]);
      (() => { for (let i = 0; i < 10; i++) heap.allocF32(10000); })();
      const held = heap.bytesInUse;
      for (let i = 0; i < 20 && heap.bytesInUse > 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify({ held, after: heap.bytesInUse }));`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ held: 10 * 40000, after: 0 });
  });
});

describe('scratch that cannot grow', () => {
  it('is a RangeError naming the product that asked, in the posting thread and in a worker', () => {
    const memory = { buffer: new ArrayBuffer(65536), grow: () => 0 };
    const refuse = () => {
      throw new RangeError('the WebAssembly memory cannot grow past 4194304 bytes (maximum 4194304)');
    };
    const main = wasmGemmState({}, memory, refuse);
    expect(() => main.reserve(1 << 30, () => 'a 4096×4096×4096 product')).toThrowError(
      /no room in WebAssembly memory for 1073741824 bytes of scratch for a 4096×4096×4096 product: the WebAssembly memory cannot grow past 4194304 bytes/,
    );
    const worker = wasmGemmState({}, memory); // a worker's scratch is sized by the posting thread
    expect(() => worker.reserve(100, () => 'a 2×3×4 product')).toThrowError(/this thread's scratch holds 0 bytes, a 2×3×4 product needs 100/);
  });
});
