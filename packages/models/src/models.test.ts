import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng } from '@hubel/core';
import { alexnet, fashionNet, layerTable, lenet5, zooEntry, zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';

const backend = createCpuBackend();
const registry = zooRegistry();

/** Output side of a convolution or pooling window: ⌊(in + 2·pad − k) / stride⌋ + 1. */
const side = (input: number, k: number, stride = 1, pad = 0) => Math.floor((input + 2 * pad - k) / stride) + 1;

describe('AlexNet (Krizhevsky et al. 2012)', () => {
  // The paper's layers: [name, out channels, kernel, stride, pad, groups (two towers)].
  const convs: [string, number, number, number, number, number][] = [
    ['conv1', 96, 11, 4, 0, 1],
    ['conv2', 256, 5, 1, 2, 2],
    ['conv3', 384, 3, 1, 1, 1],
    ['conv4', 384, 3, 1, 1, 2],
    ['conv5', 256, 3, 1, 1, 2],
  ];
  const poolAfter = new Set(['conv1', 'conv2', 'conv5']);

  /** Parameters and per-layer shapes from the paper's geometry, independent of the builder. */
  function expected(towers: 1 | 2) {
    let c = 3;
    let s = 227;
    let params = 0;
    const shapes: Record<string, number[]> = {};
    for (const [name, out, k, stride, pad, groups] of convs) {
      const g = towers === 2 ? groups : 1;
      params += out * (c / g) * k * k + out;
      s = side(s, k, stride, pad);
      shapes[name] = [out, s, s];
      c = out;
      if (poolAfter.has(name)) {
        s = side(s, 3, 2);
        shapes[`pool${name.slice(4)}`] = [c, s, s];
      }
    }
    let units = c * s * s;
    for (const [name, out] of [['fc6', 4096], ['fc7', 4096], ['fc8', 1000]] as const) {
      params += out * units + out;
      shapes[name] = [out];
      units = out;
    }
    return { params, shapes };
  }

  it('two towers: 60,965,224 parameters and the paper\'s shape at every layer (55×55×96 after conv1, 27×27×256 after conv2 + pool, …)', () => {
    const want = expected(2);
    expect(want.params).toBe(60_965_224);
    const model = alexnet({ registry }).build({ backend });
    try {
      expect(model.paramCount()).toBe(want.params);
      for (const [value, shape] of Object.entries(want.shapes)) expect(model.valueInfo.get(value)?.shape, value).toEqual([null, ...shape]);
      expect(want.shapes.conv1).toEqual([96, 55, 55]);
      expect(want.shapes.pool2).toEqual([256, 13, 13]);
      expect(model.node('conv2').attrs.group).toBe(2);
      // ONNX's LRN divides alpha by size: 5e-4 / 5 is the paper's α = 1e-4.
      expect(model.node('norm1').attrs).toMatchObject({ size: 5, beta: 0.75, bias: 2 });
      expect((model.node('norm1').attrs.alpha as number) / 5).toBeCloseTo(1e-4, 12);
    } finally {
      model.dispose();
    }
  });

  it('one tower: the same shapes, parameters of ungrouped conv2/4/5', () => {
    const want = expected(1);
    const model = alexnet({ registry, towers: 1 }).build({ backend });
    try {
      expect(model.paramCount()).toBe(want.params);
      expect(layerTable(model).find((r) => r.node === 'conv2')?.params).toBe(256 * 96 * 25 + 256);
    } finally {
      model.dispose();
    }
  });

  it('width 1/8 runs forward on one 227×227 image to [1, classes] scores', async () => {
    const model = alexnet({ registry, width: 1 / 8, classes: 7 }).build({ backend, seed: 3 });
    try {
      expect(model.valueInfo.get('conv1')?.shape).toEqual([null, 12, 55, 55]);
      const rng = new Rng(3);
      const x = backend.tensor(Float32Array.from({ length: 3 * 227 * 227 }, () => rng.uniform()), [1, 3, 227, 227]);
      const y = model.predict(x);
      expect(y.shape).toEqual([1, 7]);
      expect(Array.from(await y.read()).every(Number.isFinite)).toBe(true);
      x.dispose();
      y.dispose();
    } finally {
      model.dispose();
    }
  });
});

describe('LeNet-5 and the Fashion-MNIST convnet', () => {
  it('LeNet-5 on 28×28: C1 6×28×28, S2 6×14×14, C3 16×10×10, S4 16×5×5, C5 120, F6 84, 10 scores; 61,706 parameters', () => {
    const model = lenet5({ registry }).build({ backend });
    const shape = (v: string) => model.valueInfo.get(v)?.shape;
    expect([shape('c1'), shape('s2'), shape('c3'), shape('s4'), shape('c5'), shape('f6'), shape('scores')]).toEqual([
      [null, 6, 28, 28], [null, 6, 14, 14], [null, 16, 10, 10], [null, 16, 5, 5], [null, 120], [null, 84], [null, 10],
    ]);
    // (5·5·1 + 1)·6 + (5·5·6 + 1)·16 + (400 + 1)·120 + (120 + 1)·84 + (84 + 1)·10
    expect(model.paramCount()).toBe(156 + 2416 + 48120 + 10164 + 850);
    model.dispose();
  });

  it('fashion convnet: conv–BN–ReLU–pool ×2 → 64×7×7, FC 128, dropout, 10 logits; train and eval forward', async () => {
    const model = fashionNet({ registry }).build({ backend, seed: 5 });
    expect(model.valueInfo.get('pool2')?.shape).toEqual([null, 64, 7, 7]);
    // conv1 9·32 (3×3, no bias) + bn1 2·32 + conv2 9·32·64 + bn2 2·64 + fc1 (3136 + 1)·128 + scores (128 + 1)·10
    expect(model.paramCount()).toBe(288 + 64 + 18432 + 128 + 3137 * 128 + 1290);
    // The 5×5 variant: conv weights 25·32 and 25·32·64.
    const five = fashionNet({ registry, kernel: 5 }).build({ backend, seed: 5 });
    expect(five.paramCount()).toBe(800 + 64 + 51200 + 128 + 3137 * 128 + 1290);
    five.dispose();
    expect(() => fashionNet({ registry, kernel: 4 })).toThrowError(/fashion: kernel must be an odd positive integer, found 4/);
    const rng = new Rng(5);
    const x = backend.tensor(Float32Array.from({ length: 4 * 784 }, () => rng.uniform()), [4, 1, 28, 28]);
    for (const mode of ['train', 'eval'] as const) {
      const run = model.forward({ input: x }, { mode });
      expect(run.get('scores').shape).toEqual([4, 10]);
      run.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it('zooEntry rejects an unknown name, listing the known ones', () => {
    expect(() => zooEntry('resnet')).toThrowError(/unknown model 'resnet' \(known: fashion, lenet, alexnet, alexnet-1tower, mlp/);
  });
});
