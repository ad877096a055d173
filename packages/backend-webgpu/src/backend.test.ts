import { createWebGpuBackend, read, write, type Program } from '@hubel/backend-webgpu';
import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { HubelError, Registry, Rng, Tensor, type Backend } from '@hubel/core';
import { webgpuBackend } from '@hubel/backend-webgpu';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();

const DOUBLE: Program = {
  name: 'test.double',
  key: 'test.double',
  uniforms: [['n', 'u32']],
  storage: [read('x'), write('y')],
  body: () => `
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x < u.n) { y[gid.x] = 2.0 * x[gid.x]; }
}
`,
};

gpu.describe(describe, 'WebGpuBackend', (be) => {
  it('uploads, reads back float32 and int32 exactly, and labels itself with the adapter', async () => {
    expect(Array.from(await be.tensor([1.5, -2, 3e-8], [3]).read())).toEqual([1.5, -2, Math.fround(3e-8)]);
    const labels = await be.tensor([7, -1, 0], [3], 'int32').read();
    expect(labels).toBeInstanceOf(Int32Array);
    expect(Array.from(labels)).toEqual([7, -1, 0]);
    expect(be.description.length).toBeGreaterThan(0);
    expect(Array.from(await be.zeros([5]).read())).toEqual([0, 0, 0, 0, 0]);
  });

  it('holds zero-size tensors: upload, zeros, read and a sum over an empty axis (the empty sum, 0)', async () => {
    expect((await be.tensor([], [2, 0, 3]).read()).length).toBe(0);
    expect((await be.zeros([0]).read()).length).toBe(0);
    // Dirty a pooled buffer of the output's size class first, so zeros cannot come from a fresh buffer.
    be.tensor([5, 5, 5, 5, 5, 5, 5, 5], [8]).dispose();
    const x = be.tensor([], [2, 0, 4]);
    const y = be.blocks.reduce(x, { axes: [1], keepDims: true });
    expect(y.shape).toEqual([2, 1, 4]);
    expect(Array.from(await y.read())).toEqual(new Array(8).fill(0));
    // A reduction whose kept part is empty dispatches no work and gives an empty result.
    const z = be.blocks.reduce(x, { axes: [2], keepDims: true });
    expect(z.shape).toEqual([2, 0, 1]);
    expect((await z.read()).length).toBe(0);
  });

  it('batches kernels: no submission until a read, then one', async () => {
    be.flush();
    const before = be.stats().submits;
    let t = be.tensor([1, 2, 3], [3]);
    for (let i = 0; i < 5; i++) {
      const next = be.blocks.map({ name: 'test.inc', expr: 'a + 1.0', inputs: [t] });
      t.dispose();
      t = next;
    }
    expect(be.stats().submits).toBe(before);
    expect(Array.from(await t.read())).toEqual([6, 7, 8]);
    expect(be.stats().submits).toBe(before + 1);
  });

  it('reuses pooled buffers: a loop of alloc/dispose creates no new buffers after its first turn', async () => {
    const step = async () => {
      const a = be.tensor([1, 2, 3, 4], [2, 2]);
      const b = be.blocks.gemm(a, a);
      const c = be.ops.add(a, b);
      await c.read();
      for (const t of [a, b, c]) t.dispose();
    };
    await step();
    const created = be.stats().buffersCreated;
    for (let i = 0; i < 20; i++) await step();
    expect(be.stats().buffersCreated).toBe(created);
  });

  it('runs a custom program; sgdUpdate and adamUpdate match their formulas (seed 61)', async () => {
    const x = be.tensor([1, 2, 3], [3]);
    const y = be.alloc([3]);
    be.run(DOUBLE, [x, y], [3], [1, 1, 1]);
    expect(Array.from(await y.read())).toEqual([2, 4, 6]);

    const rng = new Rng(61);
    const n = 300;
    const w0 = Array.from({ length: n }, () => rng.normal());
    const g = Array.from({ length: n }, () => rng.normal());
    const v0 = Array.from({ length: n }, () => rng.normal());
    const w = be.tensor(w0, [n]);
    const v = be.tensor(v0, [n]);
    be.ops.sgdUpdate(w, be.tensor(g, [n]), v, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01 });
    const [wg, vg] = [await w.read(), await v.read()];
    const wa = be.tensor(w0, [n]);
    const m = be.tensor(v0, [n]);
    const s = be.tensor(v0.map((q) => q * q), [n]);
    be.ops.adamUpdate(wa, be.tensor(g, [n]), m, s, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true, step: 3 });
    const wag = await wa.read();
    for (let i = 0; i < n; i++) {
      const d = g[i] + 0.01 * w0[i];
      const vi = 0.9 * v0[i] + d;
      // A handful of float32 roundings on O(1) values: 1e-5 is ~100 ulps.
      expect(vg[i]).toBeCloseTo(vi, 5);
      expect(wg[i]).toBeCloseTo(w0[i] - 0.1 * (d + 0.9 * vi), 5);
      const mi = 0.9 * v0[i] + 0.1 * g[i];
      const si = 0.999 * v0[i] * v0[i] + 0.001 * g[i] * g[i];
      const upd = mi / (1 - 0.9 ** 3) / (Math.sqrt(si / (1 - 0.999 ** 3)) + 1e-8);
      expect(wag[i]).toBeCloseTo(w0[i] - 0.01 * (upd + 0.1 * w0[i]), 5);
    }
  });

  it('turns a WGSL compile error into a HubelError naming the kernel and the line', async () => {
    const bad: Program = { ...DOUBLE, name: 'test.broken', key: 'test.broken', body: () => DOUBLE.body().replace('2.0 * x[gid.x]', '2u * x[gid.x]') };
    be.run(bad, [be.zeros([3]), be.alloc([3])], [3], [1, 1, 1]);
    const err = await be.sync().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HubelError);
    expect((err as Error).message).toMatch(/webgpu kernel 'test.broken' \(key test.broken\): WGSL compile error at line \d+:\d+\n\s+\d+ \| .*2u \* x\[gid.x\].*\nno matching overload/);
    // The backend stays usable afterwards.
    expect(Array.from(await be.tensor([1], [1]).read())).toEqual([1]);
  });

  it('turns a validation error (an int32 tensor where the pipeline expects a bigger buffer) into a thrown error', async () => {
    // The storage binding declares array<f32> of at least one element; binding a zero-size
    // buffer is a validation error that only the GPU reports.
    const tiny = be.device.createBuffer({ size: 0, usage: 0x80 });
    be.run(DOUBLE, [tiny, be.alloc([3])], [3], [1, 1, 1]);
    await expect(be.sync()).rejects.toThrowError(/webgpu backend: .*Error in a batch of \d+ commands \(kernels: .*test.double/);
  });

  it('rejects tensors from another backend, over-sized tensors and wrong binding counts with clear errors', () => {
    const foreign = new Tensor({ name: 'cpu' } as Backend, [3], 'float32', new Float32Array(3));
    expect(() => be.ops.add(be.zeros([3]), foreign)).toThrowError(/lives on backend 'cpu' but the kernel runs on 'webgpu'/);
    const words = be.maxBindingBytes / 4 + 1;
    expect(() => be.zeros([words])).toThrowError(/needs \d+ bytes, over this adapter's maxStorageBufferBindingSize of \d+ bytes/);
    expect(() => be.run(DOUBLE, [be.zeros([3])], [3], [1, 1, 1])).toThrowError(/webgpu kernel 'test.double': 1 buffers given, the program binds 2 \(x, y\)/);
    expect(() => be.tensor([1, 2], [3])).toThrowError(/2 values given for shape \[3\]/);
    expect(() => be.tensor([1.5], [1], 'int32')).toThrowError(/non-integer value 1.5/);
  });

  it('rejects use after dispose', async () => {
    const t = be.tensor([1, 2], [2]);
    t.dispose();
    await expect(t.read()).rejects.toThrowError(/used after dispose\(\)/);
  });

  it('is created through the plugin by name', async () => {
    const other = (await new Registry().use(webgpuBackend).createBackend('webgpu')) as Awaited<ReturnType<typeof createWebGpuBackend>>;
    expect(other.name).toBe('webgpu');
    other.dispose();
    expect(() => other.zeros([1])).toThrowError(/after the backend was disposed/);
  });

  it('surfaces device loss as an error', async () => {
    const other = await createWebGpuBackend();
    other.device.destroy();
    await other.device.lost;
    expect(() => other.zeros([2])).toThrowError(/the device was lost \(destroyed\)/);
    await expect(other.sync()).rejects.toThrowError(/device was lost/);
  });
});
