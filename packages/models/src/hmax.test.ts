import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, Rng } from '@hubel/core';
import { gaborBank } from '@hubel/layers-conv';
import { hmax, imprintPrototypes, zooEntry } from '@hubel/models';
import { describe, expect, it } from 'vitest';

const backend = createCpuBackend();

/** Naive C1 of one [H, W] image: Σ-loop S1 with weights W (zero padding), ReLU, max over groups of 4 channels, max pool. */
function naiveC1(img: ArrayLike<number>, H: number, Wd: number, W: ArrayLike<number>, filters: number, k: number, pool: number, step: number) {
  const p = (k - 1) / 2;
  const s1 = new Float64Array(filters * H * Wd);
  for (let f = 0; f < filters; f++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < Wd; x++) {
        let s = 0;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const yy = y + i - p, xx = x + j - p;
            if (yy >= 0 && yy < H && xx >= 0 && xx < Wd) s += W[(f * k + i) * k + j] * img[yy * Wd + xx];
          }
        s1[(f * H + y) * Wd + x] = Math.max(0, s);
      }
  const ch = filters / 4;
  const oh = Math.floor((H - pool) / step) + 1, ow = Math.floor((Wd - pool) / step) + 1;
  const c1 = new Float64Array(ch * oh * ow).fill(-Infinity);
  for (let g = 0; g < ch; g++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++)
        for (let f = 4 * g; f < 4 * g + 4; f++)
          for (let i = 0; i < pool; i++)
            for (let j = 0; j < pool; j++) c1[(g * oh + y) * ow + x] = Math.max(c1[(g * oh + y) * ow + x], s1[(f * H + y * step + i) * Wd + x * step + j]);
  return { c1, ch, oh, ow };
}

function randomImages(n: number, side: number, seed: number): ArrayDataset {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * side * side }, () => rng.range(0, 1));
  return new ArrayDataset(x, [1, side, side], Int32Array.from({ length: n }, (_, i) => i % 3), [], 3);
}

describe('HMAX (Serre et al. 2007)', () => {
  it('builds S1 (frozen Gabor bank) → C1 → S2 (frozen) → C2 → linear scores with the documented shapes', () => {
    const model = hmax({ prototypes: 12, classes: 3, inputShape: [1, 20, 20] }).build({ backend, seed: 1 });
    expect(model.nodes.map((n) => n.name)).toEqual(['s1', 's1abs', 'c1max', 'c1', 's2', 'c2', 'flatten', 'scores']);
    expect(model.frozenParams()).toEqual(['s1.W', 's2.P']);
    // 4 orientations × 4 wavelengths × 2 signs = 32 S1 maps; 2 bands × 4 orientations = 8 C1 maps of (20 − 4)/2 + 1 = 9; 4×4 prototypes: 6×6 S2 maps.
    expect(model.valueInfo.get(model.node('c1').outputs[0])!.shape).toEqual([null, 8, 9, 9]);
    expect(model.node('s2').params.P.shape).toEqual([12, 8, 4, 4]);
    expect(model.valueInfo.get(model.node('s2').outputs[0])!.shape).toEqual([null, 12, 6, 6]);
    // Only the classifier trains: 12·3 weights + 3 biases.
    expect(model.params().filter((p) => p.trainable).reduce((s, p) => s + p.tensor.size, 0)).toBe(39);
    model.dispose();
  });

  it("S1 filter (θ·scales + scale)·2 + sign is gaborBank's filter of that θ, λ and phase (orientation-major order)", async () => {
    const model = hmax({ prototypes: 2, inputShape: [1, 20, 20] }).build({ backend, seed: 1 });
    const W = await model.node('s1').params.W.read();
    const bank = gaborBank({ size: 11, orientations: 4, wavelengths: [2.5, 3.2, 4.1, 5.2], phases: [0, Math.PI], gamma: 0.3 });
    const n = 121;
    for (const [theta, scale, sign] of [[0, 0, 0], [1, 2, 1], [3, 3, 0]]) {
      const ours = W.subarray(((theta * 4 + scale) * 2 + sign) * n, ((theta * 4 + scale) * 2 + sign + 1) * n);
      const ref = bank.filters.subarray(((scale * 2 + sign) * 4 + theta) * n, ((scale * 2 + sign) * 4 + theta + 1) * n);
      // float32 storage of float64 values: relative 6e-8.
      ours.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 6));
    }
    model.dispose();
  });

  it('imprinting copies real C1 patches: each recorded (image, row, col) patch recomputed by naive loops equals its prototype (seed 4)', async () => {
    const model = hmax({ prototypes: 6, classes: 3, inputShape: [1, 20, 20] }).build({ backend, seed: 1 });
    const data = randomImages(10, 20, 3);
    const records = await imprintPrototypes(model, data, { seed: 4, batchSize: 4 });
    expect(records).toHaveLength(6);
    const P = await model.node('s2').params.P.read();
    const W = await model.node('s1').params.W.read();
    for (const r of records) {
      const img = data.x.subarray(r.image * 400, (r.image + 1) * 400);
      const { c1, ch, oh, ow } = naiveC1(img, 20, 20, W, 32, 11, 4, 2);
      expect(r.row).toBeLessThanOrEqual(oh - 4);
      expect(r.col).toBeLessThanOrEqual(ow - 4);
      let err = 0, norm = 0;
      for (let c = 0; c < ch; c++)
        for (let y = 0; y < 4; y++)
          for (let x = 0; x < 4; x++) {
            const want = c1[(c * oh + r.row + y) * ow + r.col + x];
            err = Math.max(err, Math.abs(P[((r.prototype * ch + c) * 4 + y) * 4 + x] - want));
            norm += want * want;
          }
      // float32 sums of 121 products of size ≤ 0.3 (unit-norm filters, pixels < 1): round-off ≲ 1e-6.
      expect(err, `prototype ${r.prototype} from image ${r.image} at (${r.row}, ${r.col}): max |Δ| ${err}`).toBeLessThan(1e-5);
      expect(norm).toBeGreaterThan(0.1);
    }
    // Each prototype's own source image then has C2 = 1 for it (distance 0 at the source position).
    const r0 = records[0];
    const batch = data.batch([r0.image], backend);
    const run = model.forward({ input: batch.x });
    const c2 = await run.get('c2').read();
    // float32 cancellation in ‖x‖² − 2x·p + ‖p‖² with ‖x‖² ≈ 10: D ≲ 1e-5, so y ≥ e^(−0.1·1e-5).
    expect(c2[r0.prototype]).toBeGreaterThan(1 - 1e-5);
    run.dispose();
    batch.x.dispose();
    batch.y.dispose();
    model.dispose();
  });

  it("the zoo's hmax entry imprints before training and takes --prototypes", async () => {
    const entry = zooEntry('hmax');
    expect(entry.knobs).toEqual(['prototypes']);
    const model = entry.build({ prototypes: 5, classes: 3, inputShape: [1, 20, 20] }).build({ backend, seed: 2 });
    const before = await model.node('s2').params.P.read();
    const lines: string[] = [];
    await entry.beforeTraining!(model, { train: randomImages(8, 20, 5), seed: 9, log: (l) => lines.push(l) });
    const after = await model.node('s2').params.P.read();
    expect(Array.from(after)).not.toEqual(Array.from(before));
    expect(lines[0]).toMatch(/^hmax: imprinted 5 S2 prototypes from C1 patches of [1-5] training images/);
    model.dispose();
  });
});
