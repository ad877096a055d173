import { gpuBackendOrSkip } from '@hubel/backend-webgpu/testing';
import { channelBroadcast } from '@hubel/backend-webgpu';
import { Rng } from '@hubel/core';
import { describe, expect, it } from 'vitest';

const gpu = await gpuBackendOrSkip();

gpu.describe(describe, 'elementwise block vs a plain loop', (be) => {
  it('maps two same-shape inputs with scalars over 70,001 elements (not a multiple of 256; seed 21)', async () => {
    const rng = new Rng(21);
    const n = 70_001;
    const x = Float32Array.from({ length: n }, () => rng.normal());
    const y = Float32Array.from({ length: n }, () => rng.normal());
    const out = be.blocks.map({ name: 'test.axpy', expr: 's0 * a + s1 * b', inputs: [be.tensor(x, [n]), be.tensor(y, [n])], scalars: [0.5, -2] });
    const got = await out.read();
    // One product and one fused or unfused add per element: within 3 float32 roundings of the exact value.
    for (let i = 0; i < n; i++) {
      const want = 0.5 * x[i] - 2 * y[i];
      if (!(Math.abs(got[i] - want) <= 3 * 2 ** -24 * (Math.abs(0.5 * x[i]) + Math.abs(2 * y[i])))) throw new Error(`element ${i}: ${got[i]} vs ${want} (seed 21)`);
    }
  });

  it('broadcasts a per-channel vector over NCHW and supports statement bodies (seed 22)', async () => {
    const rng = new Rng(22);
    const shape = [2, 3, 5, 7];
    const n = 2 * 3 * 5 * 7;
    const x = Float32Array.from({ length: n }, () => rng.normal());
    const s = Float32Array.from({ length: 3 }, () => rng.normal());
    const out = be.blocks.map({
      name: 'test.leaky-scale',
      expr: 'let t = a * b; if (t > 0.0) { return t; } return 0.1 * t;',
      inputs: [be.tensor(x, shape), { t: be.tensor(s, [3]), broadcast: channelBroadcast(shape) }],
    });
    const got = await out.read();
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / 35) % 3;
      const t = Math.fround(x[i] * s[c]);
      const want = t > 0 ? t : Math.fround(0.1 * t);
      expect(got[i], `element ${i} (seed 22)`).toBeCloseTo(want, 6); // exact up to one rounding of 0.1·t
    }
  });

  it('broadcastInput reads numpy-broadcast operands like a plain loop, by index pattern or expanded copy (seed 23)', async () => {
    const rng = new Rng(23);
    // [input, output, whether an index pattern fits (else an expanded copy)].
    const cases: [number[], number[], boolean][] = [
      [[2, 3, 4], [2, 3, 4], true],
      [[4], [2, 3, 4], true],
      [[3, 1], [2, 3, 4], true],
      [[], [5, 2], true],
      [[3, 1, 2], [3, 4, 2], true],
      [[1, 4, 1], [3, 4, 2], true],
      [[2, 1, 3, 1], [2, 4, 3, 5], false],
      [[2, 1, 3, 1, 2], [2, 4, 3, 5, 2], false],
    ];
    for (const [inShape, shape, pattern] of cases) {
      const n = shape.reduce((p, d) => p * d, 1);
      const x = Float32Array.from({ length: inShape.reduce((p, d) => p * d, 1) }, () => rng.normal());
      const y = Float32Array.from({ length: n }, () => rng.normal());
      const { input, temp } = be.blocks.broadcastInput(be.tensor(x, inShape), shape);
      expect(temp === undefined, `[${inShape}] → [${shape}] uses an index pattern`).toBe(pattern);
      const got = await be.blocks.map({ name: 'test.broadcast-sub', expr: 'b - a', inputs: [be.tensor(y, shape), input], shape }).read();
      temp?.dispose();
      const lead = shape.length - inShape.length;
      for (let i = 0; i < n; i++) {
        // Plain-loop numpy index: output coordinates, leading axes dropped, size-1 axes read at 0.
        let rest = i;
        let off = 0;
        let stride = 1;
        for (let d = shape.length - 1; d >= lead; d--) {
          const c = rest % shape[d];
          if (inShape[d - lead] !== 1) off += c * stride;
          stride *= inShape[d - lead];
          rest = Math.floor(rest / shape[d]);
        }
        // One float32 subtraction: exactly Math.fround of the double difference.
        expect(got[i], `[${inShape}] → [${shape}] element ${i} (seed 23)`).toBe(Math.fround(x[off] - y[i]));
      }
    }
  });

  it('reads int32 inputs (labels) as i32', async () => {
    const labels = be.tensor([2, 0, 1], [3], 'int32');
    const out = be.blocks.map({ name: 'test.labels', expr: 'f32(a) * 2.0', inputs: [labels] });
    expect(Array.from(await out.read())).toEqual([4, 0, 2]);
  });

  it("writes an int32 output with outDType 'int32' (a comparison)", async () => {
    const x = be.tensor([-1, 0.5, 2, NaN], [4]);
    const out = be.blocks.map({ name: 'test.less', expr: 'select(0, 1, a < 1.0)', inputs: [x], outDType: 'int32' });
    expect(out.dtype).toBe('int32');
    // NaN < 1 is false.
    expect(Array.from(await out.read())).toEqual([1, 1, 0, 0]);
  });

  it('refuses an input that neither matches nor broadcasts', () => {
    expect(() => be.blocks.map({ name: 'test.bad', expr: 'a + b', inputs: [be.zeros([4]), be.zeros([3])] })).toThrowError(/map 'test.bad': input \[3\] does not match output \[4\]/);
  });
});
