import { attr, defineLayer, HubelError, resolveAttrs } from '@hubel/core';
import { describe, expect, it } from 'vitest';

const schema = {
  kernelShape: attr.ints({ length: 2, min: 1 }),
  strides: attr.ints({ length: 2, min: 1, default: [1, 1] }),
  alpha: attr.float({ gt: 0, default: 1e-4 }),
  mode: attr.string({ oneOf: ['constant', 'reflect'] as const, default: 'constant' }),
  ceil: attr.bool({ default: false }),
};

describe('attribute schemas', () => {
  it('applies defaults and keeps given values', () => {
    const a = resolveAttrs(schema, { kernelShape: [3, 3], ceil: 1 }, "node 'p'");
    expect(a).toEqual({ kernelShape: [3, 3], strides: [1, 1], alpha: 1e-4, mode: 'constant', ceil: true });
    expect(Object.isFrozen(a)).toBe(true);
  });

  it.each([
    [{ strides: [1, 1] }, /node 'p': attribute 'kernelShape' is required/],
    [{ kernelShape: [3] }, /attribute 'kernelShape': expected 2 values, found 1/],
    [{ kernelShape: [3, 0] }, /attribute 'kernelShape': element 1: expected >= 1, found 0/],
    [{ kernelShape: [3, 1.5] }, /element 1: expected an integer, found 1.5/],
    [{ kernelShape: [3, 3], alpha: 0 }, /attribute 'alpha': expected > 0, found 0/],
    [{ kernelShape: [3, 3], mode: 'wrap' }, /attribute 'mode': expected one of 'constant', 'reflect', found 'wrap'/],
    [{ kernelShape: [3, 3], pad: 1 }, /unknown attribute 'pad' \(known: kernelShape, strides, alpha, mode, ceil\)/],
  ])('rejects %j with a message naming the node and attribute', (given, message) => {
    let err: unknown;
    try {
      resolveAttrs(schema, given, "node 'p'");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubelError);
    expect((err as HubelError).code).toBe('attribute');
    expect((err as Error).message).toMatch(message);
  });

  it('runs cross-attribute validation with the node named', () => {
    const L = defineLayer({
      domain: 'test',
      type: 'Window',
      attrs: { size: attr.int({ min: 1 }), stride: attr.int({ min: 1, default: 1 }) },
      validate: (a) => {
        if (a.stride > a.size) throw new Error(`stride ${a.stride} exceeds size ${a.size}`);
      },
      inferShapes: (_a, [x]) => [x],
    });
    expect(L.key).toBe('test::Window');
    expect(() => L.resolve({ size: 2, stride: 3 }, "node 'w1'")).toThrowError(/node 'w1': stride 3 exceeds size 2/);
  });
});
