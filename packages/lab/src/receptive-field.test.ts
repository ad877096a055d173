import { createCpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, HubelError, Rng, defineKernel, defineLayer, definePlugin, type AnyLayer, type Model } from '@hubel/core';
import { receptiveField, unitField } from '@hubel/lab';
import { alexnet, zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';

// A two-input join (the zoo has no Add): y = a + b, forward only.
const Join = defineLayer({ domain: 'test', type: 'Join', attrs: {}, inputs: ['A', 'B'], inferShapes: (_a, [a]) => [a] });
const joinCpu = defineKernel(Join, 'cpu', { forward: ({ backend, inputs: [a, b] }) => ({ outputs: [backend.ops.add(a, b)] }) });
const registry = zooRegistry().use(definePlugin({ name: 'test-join', layers: [Join], kernels: [joinCpu] }));
const layer = (type: string): AnyLayer => registry.layer('', type);
const Conv = layer('Conv');
const MaxPool = layer('MaxPool');
const AveragePool = layer('AveragePool');
const Relu = layer('Relu');
const Pad = layer('Pad');
const Flatten = layer('Flatten');
const GlobalAveragePool = layer('GlobalAveragePool');
const LRN = layer('LRN');

/** A model over a [N, 1, h, w] input built by `body`, which returns the output value. */
function build(h: number, w: number, body: (g: GraphBuilder, x: string) => string, seed = 1): Model {
  const g = new GraphBuilder({ registry });
  g.output(body(g, g.input('input', [null, 1, h, w])));
  return g.build({ backend: createCpuBackend(), seed });
}

const conv = (g: GraphBuilder, x: string, name: string, a: Record<string, unknown>) => g.add(Conv, { outChannels: 1, bias: false, ...a }, x, { name });

describe('receptiveField on AlexNet', () => {
  // By hand, with r' = r + (k − 1)·j, j' = j·s, o' = o − p·j from r = 1, j = 1, o = 0 at the input:
  //   conv1 11×11 s4:      r = 1 + 10·1 = 11,   j = 4,  o = 0
  //   relu1, norm1 (LRN across channels): unchanged
  //   pool1 3×3 s2:        r = 11 + 2·4 = 19,   j = 8,  o = 0
  //   conv2 5×5 p2:        r = 19 + 4·8 = 51,   j = 8,  o = 0 − 2·8 = −16
  //   pool2 3×3 s2:        r = 51 + 2·8 = 67,   j = 16, o = −16
  //   conv3 3×3 p1:        r = 67 + 2·16 = 99,  j = 16, o = −16 − 16 = −32
  //   conv4 3×3 p1:        r = 99 + 32 = 131,   j = 16, o = −48
  //   conv5 3×3 p1:        r = 131 + 32 = 163,  j = 16, o = −64
  //   pool5 3×3 s2:        r = 163 + 2·16 = 195, j = 32, o = −64
  const expected: [string, number, number, number][] = [
    ['conv1', 11, 4, 0],
    ['relu1', 11, 4, 0],
    ['norm1', 11, 4, 0],
    ['pool1', 19, 8, 0],
    ['conv2', 51, 8, -16],
    ['pool2', 67, 16, -16],
    ['conv3', 99, 16, -32],
    ['conv4', 131, 16, -48],
    ['conv5', 163, 16, -64],
    ['pool5', 195, 32, -64],
  ];
  // width only scales the channel counts (the geometry is the paper's), keeping the test light.
  const model = alexnet({ registry, width: 1 / 16 }).build({ backend: createCpuBackend(), seed: 1 });
  for (const [name, size, stride, offset] of expected) {
    it(`${name}: size ${size}, stride ${stride}, offset ${offset}`, () => {
      const rf = receptiveField(model, name);
      expect(rf).toEqual({ value: name, input: 'input', size: [size, size], stride: [stride, stride], offset: [offset, offset] });
    });
  }
  it('fc6 (after Flatten) has no spatial field, and the error says why', () => {
    expect(() => receptiveField(model, 'fc6')).toThrow(/node 'flatten' \(Flatten\) makes it \[N, \d+\], with no spatial axes/);
  });
  it('an unknown name lists the nodes', () => {
    expect(() => receptiveField(model, 'conv9')).toThrow(/no node or value named 'conv9' \(nodes: conv1, relu1, norm1, pool1, conv2/);
  });
  it('pool5 unit (5, 5) sees [96, 291): past the 227-pixel image, clipped to [96, 227)', () => {
    // −64 + 5·32 = 96; 96 + 195 = 291.
    const box = unitField(receptiveField(model, 'pool5'), [5, 5], [227, 227]);
    expect(box).toEqual({ start: [96, 96], end: [291, 291], clippedStart: [96, 96], clippedEnd: [227, 227], inside: false });
  });
});

describe('receptiveField: hand cases', () => {
  it('padding: 3×3 pad 1 starts at −1; then 3×3 stride 2 pad 1 grows to 5, stride 2, offset −2', () => {
    const m = build(8, 8, (g, x) => conv(g, conv(g, x, 'a', { kernelShape: [3, 3], pads: [1, 1, 1, 1] }), 'b', { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }));
    expect(receptiveField(m, 'a')).toMatchObject({ size: [3, 3], stride: [1, 1], offset: [-1, -1] });
    // r = 3 + 2·1 = 5, j = 2, o = −1 − 1·1 = −2.
    expect(receptiveField(m, 'b')).toMatchObject({ size: [5, 5], stride: [2, 2], offset: [-2, -2] });
  });

  it('dilation: 3×3 dilation 2 spans 5; pooled 2×2 stride 2: 6; another 3×3 dilation 2 on jump 2: 6 + 2·2·2 = 14', () => {
    const m = build(32, 32, (g, x) => {
      const a = conv(g, x, 'a', { kernelShape: [3, 3], dilations: [2, 2] });
      const p = g.add(MaxPool, { kernelShape: [2, 2], strides: [2, 2] }, a, { name: 'p' });
      return conv(g, p, 'b', { kernelShape: [3, 3], dilations: [2, 2] });
    });
    expect(receptiveField(m, 'a')).toMatchObject({ size: [5, 5], stride: [1, 1], offset: [0, 0] });
    expect(receptiveField(m, 'p')).toMatchObject({ size: [6, 6], stride: [2, 2], offset: [0, 0] });
    // r = 6 + (3 − 1)·2·2 = 14.
    expect(receptiveField(m, 'b')).toMatchObject({ size: [14, 14], stride: [2, 2], offset: [0, 0] });
  });

  it('non-square kernels and asymmetric pads are per axis', () => {
    const m = build(8, 9, (g, x) => conv(g, x, 'a', { kernelShape: [1, 3], strides: [1, 2], pads: [0, 2, 0, 0] }));
    expect(receptiveField(m, 'a')).toMatchObject({ size: [1, 3], stride: [1, 2], offset: [0, -2] });
  });

  it('autoPad SAME_UPPER / SAME_LOWER: the odd pad goes after / before (8 wide, 3×3 stride 2: total pad 1)', () => {
    // out = ⌈8 / 2⌉ = 4; total = (4 − 1)·2 + 3 − 8 = 1: UPPER pads [0, 1], LOWER [1, 0].
    const upper = build(8, 8, (g, x) => conv(g, x, 'a', { kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' }));
    const lower = build(8, 8, (g, x) => conv(g, x, 'a', { kernelShape: [3, 3], strides: [2, 2], autoPad: 'SAME_LOWER' }));
    expect(receptiveField(upper, 'a').offset).toEqual([0, 0]);
    expect(receptiveField(lower, 'a').offset).toEqual([-1, -1]);
  });

  it('Pad shifts the offset; ReLU and LRN pass through', () => {
    const m = build(8, 8, (g, x) => {
      const p = g.add(Pad, { pads: [0, 0, 2, 1, 0, 0, 0, 0] }, x, { name: 'pad' });
      const a = conv(g, p, 'a', { kernelShape: [3, 3], strides: [2, 2] });
      return g.add(LRN, { size: 3 }, g.add(Relu, {}, a, { name: 'relu' }), { name: 'lrn' });
    });
    expect(receptiveField(m, 'pad')).toMatchObject({ size: [1, 1], stride: [1, 1], offset: [-2, -1] });
    expect(receptiveField(m, 'lrn')).toMatchObject({ size: [3, 3], stride: [2, 2], offset: [-2, -1] });
  });

  it('global average pooling sees its whole input: 3 + (8 − 1)·1 = 10 pixels from −1', () => {
    const m = build(8, 8, (g, x) => g.add(GlobalAveragePool, {}, conv(g, x, 'a', { kernelShape: [3, 3], pads: [1, 1, 1, 1] }), { name: 'gap' }));
    expect(receptiveField(m, 'gap')).toMatchObject({ size: [10, 10], offset: [-1, -1] });
  });

  it('a join takes the union of its paths (so at least the max over paths): begin-padded [−2, 1) and end-padded [0, 3) give [−2, 3), size 5', () => {
    const m = build(8, 8, (g, x) => {
      const a = conv(g, x, 'a', { kernelShape: [3, 3], pads: [2, 2, 0, 0] });
      const b = conv(g, x, 'b', { kernelShape: [3, 3], pads: [0, 0, 2, 2] });
      return g.add(Join, {}, [a, b], { name: 'sum' });
    });
    expect(receptiveField(m, 'a')).toMatchObject({ size: [3, 3], offset: [-2, -2] });
    expect(receptiveField(m, 'b')).toMatchObject({ size: [3, 3], offset: [0, 0] });
    expect(receptiveField(m, 'sum')).toMatchObject({ size: [5, 5], stride: [1, 1], offset: [-2, -2] });
  });

  it('a join of paths with different strides is refused, naming the node', () => {
    // 8 → 4 both ways: 2×2 stride 2 (jump 2) and 5×5 stride 1 (jump 1).
    const m = build(8, 8, (g, x) => g.add(Join, {}, [conv(g, x, 'a', { kernelShape: [2, 2], strides: [2, 2] }), conv(g, x, 'b', { kernelShape: [5, 5] })], { name: 'sum' }));
    expect(() => receptiveField(m, 'sum')).toThrow(HubelError);
    expect(() => receptiveField(m, 'sum')).toThrow(/node 'sum' \(test.Join\) joins paths whose units step by \[2, 2\] and \[1, 1\] input pixels/);
    expect(receptiveField(m, 'a').stride).toEqual([2, 2]);
  });

  it('the input itself: one pixel; Flatten: no spatial axes', () => {
    const m = build(4, 4, (g, x) => g.add(Flatten, {}, x, { name: 'flat' }));
    expect(receptiveField(m, 'input')).toMatchObject({ size: [1, 1], stride: [1, 1], offset: [0, 0] });
    expect(() => receptiveField(m, 'flat')).toThrow(/no spatial axes/);
  });

  // Independent check: ∂(one unit)/∂input is non-zero exactly on the unit's field (clipped to the
  // image) for random weights, convolutions and average pooling (every tap carries gradient).
  const seed = 5;
  it(`the input gradient of one unit covers exactly its field (stride, dilation, padding, pooling; seed ${seed})`, async () => {
    const m = build(
      23,
      23,
      (g, x) => {
        const a = conv(g, x, 'a', { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
        const b = conv(g, a, 'b', { kernelShape: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] });
        return g.add(AveragePool, { kernelShape: [2, 2], strides: [2, 2] }, b, { name: 'c' });
      },
      seed,
    );
    const rf = receptiveField(m, 'c');
    // a: 3, j 2, −1; b: 3 + 2·2·2 = 11, j 2, −1 − 2·2 = −5; c: 11 + 1·2 = 13, j 4, −5.
    expect(rf).toMatchObject({ size: [13, 13], stride: [4, 4], offset: [-5, -5] });
    const rng = new Rng(seed);
    const x = m.backend.tensor(Float32Array.from({ length: 23 * 23 }, () => rng.range(-1, 1)), [1, 1, 23, 23]);
    const out = m.valueInfo.get('c')!.shape as number[];
    const [, , oh, ow] = out;
    for (const [py, px] of [[0, 0], [2, 3], [oh - 1, ow - 1]]) {
      const run = m.forward({ input: x }, { forBackward: true });
      const seedValues = new Float32Array(oh * ow);
      seedValues[py * ow + px] = 1;
      const dy = m.backend.tensor(seedValues, [1, 1, oh, ow]);
      const grads = run.backward({ seeds: { c: dy }, inputs: ['input'] });
      const dx = await grads.inputs.get('input')!.read();
      grads.dispose();
      dy.dispose();
      run.dispose();
      let [r0, r1, c0, c1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let r = 0; r < 23; r++) {
        for (let c = 0; c < 23; c++) {
          if (dx[r * 23 + c] === 0) continue;
          [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, c), Math.max(c1, c)];
        }
      }
      const box = unitField(rf, [py, px], [23, 23]);
      expect([r0, c0, r1 + 1, c1 + 1], `unit (${py}, ${px}), seed ${seed}`).toEqual([...box.clippedStart, ...box.clippedEnd]);
    }
    x.dispose();
  });
});
