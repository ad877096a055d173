import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, Sequential } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { convLayers, fullPads, Pad } from '@hubel/layers-conv';
import { describe, expect, it } from 'vitest';

const registry = new Registry().use(cpuBackend, convLayers);

async function run(shape: number[], attrs: { pads: number[]; mode?: 'constant' | 'reflect' | 'edge'; value?: number }, x: number[]) {
  const backend = createCpuBackend({ dtype: 'float64' });
  const model = new Sequential([null, ...shape.slice(1)], { registry }).add(Pad, attrs, 'pad').build({ backend });
  const y = model.predict(backend.tensor(x, shape));
  return { shape: [...y.shape], y: Array.from(await y.read()) };
}

describe('Pad: finite differences (float64)', () => {
  gradcheckPlugin({ ...convLayers, cases: convLayers.cases!.filter((c) => c.layer === Pad) }, { test: it, backend: () => createCpuBackend({ dtype: 'float64' }) });
});

describe('Pad forward', () => {
  // 1-D signal [1, 2, 3, 4] padded by 2 before and 3 after, by hand (numpy.pad's modes agree):
  const x = [1, 2, 3, 4];
  it('constant fills with the value', async () => {
    expect(await run([1, 1, 4], { pads: [0, 0, 2, 0, 0, 3], value: 9 }, x)).toEqual({ shape: [1, 1, 9], y: [9, 9, 1, 2, 3, 4, 9, 9, 9] });
  });
  it('reflect mirrors without repeating the border', async () => {
    expect(await run([1, 1, 4], { pads: [0, 0, 2, 0, 0, 3], mode: 'reflect' }, x)).toEqual({ shape: [1, 1, 9], y: [3, 2, 1, 2, 3, 4, 3, 2, 1] });
  });
  it('edge repeats the border value', async () => {
    expect(await run([1, 1, 4], { pads: [0, 0, 2, 0, 0, 3], mode: 'edge' }, x)).toEqual({ shape: [1, 1, 9], y: [1, 1, 1, 2, 3, 4, 4, 4, 4] });
  });
  it('2-D reflect equals a plain index-mirroring loop', async () => {
    const r = new Rng(3);
    const [n, c, h, w] = [2, 3, 4, 5];
    const pads = [0, 0, 3, 1, 0, 0, 2, 4];
    const xs = Array.from({ length: n * c * h * w }, () => r.normal());
    const ours = await run([n, c, h, w], { pads, mode: 'reflect' }, xs);
    const mirror = (i: number, size: number) => (i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i);
    const H = h + 5, W = w + 5, ref: number[] = [];
    for (let a = 0; a < n * c; a++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) ref.push(xs[(a * h + mirror(i - 3, h)) * w + mirror(j - 1, w)]);
    expect(ours).toEqual({ shape: [n, c, H, W], y: ref });
  });
});

describe('Pad backward at the borders', () => {
  it('reflect and edge add the border gradients into their source elements', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    for (const [mode, expected] of [
      // dy = 1 on all 2 + 4 + 3 outputs, so dx counts how often each x is copied. Reflect copies
      // x (1-based) [3,2 | 1,2,3,4 | 3,2,1] → counts [2, 3, 3, 1]; edge [1,1 | 1,2,3,4 | 4,4,4] →
      // [3, 1, 1, 4]; constant copies each once → [1, 1, 1, 1].
      ['reflect', [2, 3, 3, 1]],
      ['edge', [3, 1, 1, 4]],
      ['constant', [1, 1, 1, 1]],
    ] as const) {
      const model = new Sequential([null, 1, 4], { registry }).add(Pad, { pads: [0, 0, 2, 0, 0, 3], mode }, 'pad').build({ backend });
      const x = backend.tensor([1, 2, 3, 4], [1, 1, 4]);
      const run = model.forward({ input: x }, { mode: 'train', forBackward: true });
      const dy = backend.tensor(new Array(9).fill(1), [1, 1, 9]);
      const g = run.backward({ seeds: { [model.outputs[0]]: dy }, inputs: ['input'] });
      expect(Array.from(await g.inputs.get('input')!.read()), mode).toEqual(expected);
      g.dispose();
      run.dispose();
    }
  });
});

describe('Pad bad input', () => {
  const build = (shape: number[], attrs: Record<string, unknown>) => () =>
    new Sequential([null, ...shape], { registry }).add(Pad, attrs as never, 'p1').build({ backend: createCpuBackend() });
  it('wrong number of pads names the node, attribute and shape', () => {
    expect(build([2, 3], { pads: [1, 1] })).toThrowError(/node 'p1' \(Pad\): attribute 'pads': expected 6 values .*input shapes: \[1, 2, 3\]/);
  });
  it('reflect pads beyond size − 1', () => {
    expect(build([2, 3], { pads: [0, 0, 3, 0, 0, 0], mode: 'reflect' })).toThrowError(/attribute 'pads': reflect padding by 3\/0 along axis 2 needs pads ≤ size − 1 = 2/);
  });
  it('negative pads', () => {
    expect(build([2, 3], { pads: [0, 0, -1, 0, 0, 0] })).toThrowError(/node 'p1'.*attribute 'pads': element 2: expected >= 0, found -1/);
  });
});

describe('Pad: ONNX axes (opset 18) folded into full-rank pads', () => {
  it('places begins and ends of the listed axes, negative axes counted from the end, zeros elsewhere', () => {
    // Rank 4, axes [1, -1]: axis 1 gets (2, 3), axis 3 gets (4, 5); pads lists begins then ends.
    expect(fullPads([2, 4, 3, 5], [1, -1], 4)).toEqual([0, 2, 0, 4, 0, 3, 0, 5]);
    expect(fullPads([1, 2], undefined, 1)).toEqual([1, 2]);
  });

  it('the import mapping reads pads and axes inputs as one full-rank pads attribute', () => {
    const attrs = Pad.onnx!.fromOnnx!({ mode: 'edge', pads: [1, 1], axes: [0] }, [], [[3, 2]]);
    expect(attrs).toEqual({ mode: 'edge', value: undefined, pads: [1, 0, 1, 0] });
  });

  it('rejects an axis out of range, a repeated axis and a pads list of the wrong length', () => {
    expect(() => fullPads([0, 0], [2], 2)).toThrowError(/axis 2 is outside \[-2, 2\) for a rank-2 input/);
    expect(() => fullPads([0, 0, 0, 0], [1, -1], 2)).toThrowError(/axis -1 is listed twice in axes \[1, -1\]/);
    expect(() => fullPads([0, 0, 0], [1], 2)).toThrowError(/'pads' must hold 2 values per listed axis \(2 for axes \[1\]\), found 3/);
  });
});
