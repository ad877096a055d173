import { createCpuBackend } from '@hubel/backend-cpu';
import { HubelError, Model } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { adversarialAttack, classScores, decodeNpy, encodeNpy, foolEvolve, foolGradient, softmaxRows } from '@hubel/lab';
import { fashionNet, zooRegistry } from '@hubel/models';
import { describe, expect, it } from 'vitest';

const registry = zooRegistry();
// An untrained Fashion-MNIST convnet (seed 3): conv1 bn1 relu1 pool1 conv2 bn2 relu2 pool2 fc1 … scores [N, 10].
const model = fashionNet({ registry }).build({ backend: createCpuBackend(), seed: 3 });

/** The NumPy v1.0 bytes of a float32 array, built here from the format description, not by encodeNpy. */
function handMadeNpy(values: number[], shape: string): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const bytes = Buffer.alloc(10 + header.length + 4 * values.length);
  Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(bytes, 0);
  bytes.writeUInt16LE(header.length, 8);
  bytes.write(header, 10, 'latin1');
  values.forEach((v, i) => bytes.writeFloatLE(v, 10 + header.length + 4 * i));
  return new Uint8Array(bytes);
}

describe('encodeNpy / decodeNpy', () => {
  it('[2, 1, 2, 3] float32: the bytes match a hand-made v1.0 file, data at a multiple of 64, and read back', () => {
    const values = [0, 1, -2.5, 0.125, 3e-8, 7, 1, 2, 3, 4, 5, 6];
    const bytes = encodeNpy(Float32Array.from(values), [2, 1, 2, 3]);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(handMadeNpy(values, '(2, 1, 2, 3)')));
    expect((bytes.length - 4 * values.length) % 64).toBe(0);
    const back = decodeNpy(bytes);
    expect(back.shape).toEqual([2, 1, 2, 3]);
    expect(Array.from(back.data)).toEqual(Array.from(Float32Array.from(values)));
  });

  it('1-D shapes are written (3,) and read; a hand-made file reads back', () => {
    expect(new TextDecoder().decode(encodeNpy(Float32Array.of(1, 2, 3), [3]).subarray(10, 70))).toContain("'shape': (3,)");
    expect(decodeNpy(handMadeNpy([4, 5], '(2,)'))).toEqual({ data: Float32Array.of(4, 5), shape: [2] });
  });

  it('bad files: wrong magic, another dtype, Fortran order, truncated data, and a shape the values do not fill are HubelErrors naming the file', () => {
    const good = handMadeNpy([1, 2], '(2,)');
    const magic = Uint8Array.from(good);
    magic[1] = 0x4f;
    expect(() => decodeNpy(magic, 'x.npy')).toThrow(/x\.npy: not a float32 \.npy file: no \\x93NUMPY magic/);
    const edit = (from: string, to: string) => new Uint8Array(Buffer.from(Buffer.from(good).toString('latin1').replace(from, to), 'latin1'));
    expect(() => decodeNpy(edit('<f4', '<f8'), 'x.npy')).toThrow(/descr is '<f8'/);
    const fortran = edit("'fortran_order': False", "'fortran_order': True ");
    expect(() => decodeNpy(fortran, 'x.npy')).toThrow(/fortran_order is not False/);
    expect(() => decodeNpy(good.subarray(0, good.length - 1), 'x.npy')).toThrow(HubelError);
    expect(() => decodeNpy(good.subarray(0, good.length - 1), 'x.npy')).toThrow(/needs 8 data bytes, found 7/);
    expect(() => encodeNpy(Float32Array.of(1, 2), [3])).toThrow(/do not fill shape \[3\]/);
  });
});

describe('fooling an untrained convnet', () => {
  it('classScores: [N, 10] scores pass; a feature-map output is an error naming the output and its shape', () => {
    expect(classScores(model, 'test')).toMatchObject({ classes: 10, imageShape: [1, 28, 28] });
    const truncated = new Model({ backend: model.backend, registry: model.registry, inputs: model.inputs, outputs: ['relu1'], valueInfo: model.valueInfo, nodes: model.nodes.slice(0, model.nodes.findIndex((n) => n.outputs.includes('relu1')) + 1) }, false);
    expect(() => classScores(truncated, 'hubel fool')).toThrow(/hubel fool: the model's output 'relu1' is \[N, 32, 28, 28\]; fooling needs class scores \[N, K\] with K ≥ 2/);
  });

  it('softmaxRows: rows sum to 1 and match exp(z)/Σexp(z)', () => {
    const p = softmaxRows([1, 2, 3, 1000, 1000, 0], 3);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
    expect(p[2]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 12);
    expect([p[3], p[4], p[5]]).toEqual([0.5, 0.5, 0]);
  });

  it('foolGradient classes 0 and 7 (seed 1): both reach 0.99 in ≤ 200 steps, images in [0, 1], probabilities match a fresh forward pass', async () => {
    const r = await foolGradient(model, { classes: [0, 7], confidence: 0.99, steps: 200 });
    expect(r.shape).toEqual([2, 1, 28, 28]);
    expect(r.targets.map((t) => t.reached)).toEqual([true, true]);
    expect(r.images.every((v) => v >= 0 && v <= 1)).toBe(true);
    const x = model.backend.tensor(r.images, [2, 1, 28, 28]);
    const y = model.predict(x);
    const p = softmaxRows(await y.read(), 10);
    x.dispose();
    y.dispose();
    expect(p[0]).toBeCloseTo(r.targets[0].confidence, 6);
    expect(p[17]).toBeCloseTo(r.targets[1].confidence, 6);
  });

  it('foolEvolve without gradients: the best probability of class 8 never falls, and rises over 30 generations (seed 1)', async () => {
    const best: number[] = [];
    const r = await foolEvolve(model, { classes: [8], generations: 30, population: 8, onGeneration: (_, b) => best.push(b[0]) });
    for (let g = 1; g < best.length; g++) expect(best[g]).toBeGreaterThanOrEqual(best[g - 1]);
    expect(best.at(-1)!).toBeGreaterThan(best[0]);
    expect(r.targets[0].confidence).toBeCloseTo(best.at(-1)!, 6);
  });

  it('adversarialAttack: ε outside [0, 1] is an error naming epsilon; ε = 0 leaves accuracy at the clean accuracy', async () => {
    const { dataset } = await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test', limit: 20 });
    await expect(adversarialAttack(model, dataset, { method: 'fgsm', epsilons: [0.1, 1.5] })).rejects.toThrow(/epsilon must be in \[0, 1\], found 1.5/);
    await expect(adversarialAttack(model, dataset, { method: 'pgd', epsilons: [-0.1] })).rejects.toThrow(/epsilon/);
    const r = await adversarialAttack(model, dataset, { method: 'pgd', epsilons: [0, 0.05], steps: 3 });
    expect(r.points[0].accuracy).toBe(r.cleanAccuracy);
    expect(r.points[1].accuracy).toBeLessThanOrEqual(r.cleanAccuracy);
    // Every perturbation stays within ε of the image and within [0, 1].
    const adv = r.points[1].images;
    for (let j = 0; j < adv.length; j++) {
      expect(Math.abs(adv[j] - dataset.x[j])).toBeLessThanOrEqual(0.05 + 1e-6);
      expect(adv[j] >= 0 && adv[j] <= 1).toBe(true);
    }
  });
});
