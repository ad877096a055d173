import { createCpuBackend } from '@hubel/backend-cpu';
import { HubelError, Model, type Node } from '@hubel/core';
import { FASHION_MNIST_SAMPLE_DIR, loadMnist } from '@hubel/data';
import { featureMapImage, filterImage, maximizeActivation, maximizedImage, patchImage, receptiveField, topPatches } from '@hubel/lab';
import { alexnet, fashionNet, zooRegistry } from '@hubel/models';
import { filterGrid } from '@hubel/viz';
import { beforeAll, describe, expect, it } from 'vitest';

const registry = zooRegistry();
const seed = 3;
// An untrained Fashion-MNIST convnet: conv1 3×3 pad 1 → bn1 → relu1 → pool1 2×2 → conv2 → bn2 → relu2 → pool2 → fc.
const model = fashionNet({ registry }).build({ backend: createCpuBackend(), seed });
const N = 200;
let images: Awaited<ReturnType<typeof loadMnist>>['dataset'];
beforeAll(async () => {
  images = (await loadMnist(FASHION_MNIST_SAMPLE_DIR, { split: 'test', limit: N })).dataset;
});

/** Channel-major values of `value` for all N images, from one forward pass of all of them. */
async function activations(m: Model, value: string): Promise<{ y: Float32Array; shape: readonly number[] }> {
  const x = m.backend.tensor(images.x, [N, ...images.inputShape]);
  const run = m.forward({ input: x });
  const t = run.get(value);
  const out = { y: Float32Array.from(await t.read()), shape: t.shape };
  run.dispose();
  x.dispose();
  return out;
}

describe('filterImage', () => {
  it('conv1: 32 filters 1×3×3 through viz filterGrid; maxFilters keeps the first K', async () => {
    const r = await filterImage(model, 'conv1');
    expect(r.shape).toEqual([32, 1, 3, 3]);
    const direct = filterGrid(await model.node('conv1').params.W.read(), [32, 1, 3, 3]);
    expect([r.image.width, r.image.height, r.image.channels]).toEqual([direct.width, direct.height, 1]);
    expect(r.image.data).toEqual(direct.data);
    const four = await filterImage(model, 'conv1', { maxFilters: 4 });
    expect(four.filters).toBe(4);
    // conv2: 64 × 32 input-channel slices, one gray tile each, 32 per row (> 16: square-ish wrap).
    expect((await filterImage(model, 'conv2', { maxFilters: 2 })).image.channels).toBe(1);
  });

  it('a first layer on RGB images is drawn in colour', async () => {
    const rgb = alexnet({ registry, width: 1 / 16 }).build({ backend: createCpuBackend(), seed });
    const r = await filterImage(rgb, 'conv1');
    expect(r.shape).toEqual([6, 3, 11, 11]);
    expect(r.image.channels).toBe(3);
    rgb.dispose();
  });

  it('bad layers: unknown lists the layers, a layer without filters lists those with', async () => {
    await expect(filterImage(model, 'conv7')).rejects.toThrow(/no layer named 'conv7' \(layers: conv1, bn1, relu1, pool1, conv2/);
    await expect(filterImage(model, 'relu1')).rejects.toThrow(/layer 'relu1' \(Relu\) has no convolution filters.*layers with filters: conv1, conv2$/);
    await expect(filterImage(model, 'fc1')).rejects.toThrow(/its W is \[128, 3136\]/);
  });
});

describe('featureMapImage', () => {
  it('relu1 of image 7: 32 maps of 28×28; errors for a flat layer and an image out of range', async () => {
    const r = await featureMapImage(model, 'relu1', images, 7);
    expect(r.shape).toEqual([32, 28, 28]);
    expect([r.image.width, r.image.channels]).toEqual([6 * 28 + 7, 1]);
    await expect(featureMapImage(model, 'fc1', images, 0)).rejects.toThrow(/layer 'fc1' \(Gemm\) has output \[N, 128\], without spatial axes; .* \(conv1, bn1, relu1, pool1, conv2, bn2, relu2, pool2\)/);
    await expect(featureMapImage(model, 'relu1', images, N)).rejects.toThrow(/image 200 is out of range: there are 200 images \(0 to 199\)/);
    await expect(featureMapImage(model, 'relu1', images, -1)).rejects.toThrow(HubelError);
  });
});

describe('topPatches', () => {
  for (const layer of ['relu2', 'pool2']) {
    it(`${layer}: the top 9 per unit are the 9 largest per-image maxima, found in batches of 64`, async () => {
      const r = await topPatches(model, layer, images, { units: 6, batch: 64 });
      const { y, shape } = await activations(model, layer);
      const [, c, h, w] = shape;
      for (const u of r.units) {
        const maxima = Array.from({ length: N }, (_, i) => {
          let best = -Infinity;
          for (let p = 0; p < h * w; p++) best = Math.max(best, y[(i * c + u.unit) * h * w + p]);
          return { i, best };
        }).sort((a, b) => b.best - a.best || a.i - b.i);
        expect(u.patches.map((p) => p.image)).toEqual(maxima.slice(0, 9).map((m) => m.i));
        u.patches.forEach((p, k) => {
          expect(p.activation).toBe(maxima[k].best);
          expect(y[(p.image * c + u.unit) * h * w + p.position[0] * w + p.position[1]]).toBe(p.activation);
        });
      }
      const img = patchImage(r, images);
      const [fh, fw] = r.field.size;
      const scale = Math.max(1, Math.round(32 / fw));
      expect([img.width, img.height]).toEqual([9 * fw * scale + 10, 6 * fh * scale + 7]);
    });

    // The sub-network from the input to the layer, run on the field's crop alone: the crop sits in
    // a zero canvas at the first position o + i′·j ≥ 0 where a unit's field starts (o: offset,
    // j: stride), so output unit i′ sees exactly the crop. Equal activations mean the unit's
    // value depends on nothing outside its field, and that the field is where we cropped.
    it(`${layer}: activations recomputed on the cropped field alone match the recorded ones`, async () => {
      const r = await topPatches(model, layer, images, { units: 8 });
      const field = receptiveField(model, layer);
      const sub = subNetwork(model, layer);
      const [fh, fw] = field.size;
      const first = field.offset.map((o, a) => (o >= 0 ? 0 : Math.ceil(-o / field.stride[a])));
      const lead = field.offset.map((o, a) => o + first[a] * field.stride[a]);
      const [ch, cw] = [lead[0] + fh, lead[1] + fw];
      let checked = 0;
      for (const u of r.units) {
        for (const p of u.patches) {
          if (!p.box.inside) continue;
          const canvas = new Float32Array(ch * cw);
          for (let rr = 0; rr < fh; rr++) {
            for (let cc = 0; cc < fw; cc++) canvas[(lead[0] + rr) * cw + lead[1] + cc] = images.x[p.image * 784 + (p.box.start[0] + rr) * 28 + p.box.start[1] + cc];
          }
          const x = sub.backend.tensor(canvas, [1, 1, ch, cw]);
          const run = sub.forward({ input: x });
          const t = run.get(layer);
          const [, c, oh, ow] = t.shape;
          expect(first[0]).toBeLessThan(oh);
          const got = (await t.read())[(u.unit * oh + first[0]) * ow + first[1]];
          run.dispose();
          x.dispose();
          expect(c).toBe(64);
          // float32 sums of ≤ 9·32 products in a different order (other im2col sizes): ~1e-5 relative.
          expect(Math.abs(got - p.activation), `unit ${u.unit}, image ${p.image}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(p.activation)));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(10);
    });
  }

  it('bad input: a flat layer, images of the wrong size', async () => {
    await expect(topPatches(model, 'scores', images)).rejects.toThrow(/patches: layer 'scores' \(Gemm\) has output \[N, 10\], without spatial axes/);
    await expect(topPatches(model, 'relu1', { x: new Float32Array(2 * 3 * 8 * 8), inputShape: [3, 8, 8] })).rejects.toThrow(/the model takes input \[N, 1, 28, 28\], the images are \[N, 3, 8, 8\]/);
  });
});

/** The nodes `value` depends on, as a model sharing the parameters, with any spatial input size. */
function subNetwork(m: Model, value: string): Model {
  const needed = new Set<string>([value]);
  const nodes: Node[] = [];
  for (const n of [...m.nodes].reverse()) {
    if (!n.outputs.some((o) => needed.has(o))) continue;
    nodes.unshift(n);
    for (const i of n.inputs) needed.add(i);
  }
  const input = m.inputs[0];
  return new Model({ backend: m.backend, registry: m.registry, inputs: [{ ...input, shape: [null, input.shape[1], null, null] }], outputs: [value], nodes }, false);
}

describe('maximizeActivation', () => {
  // Measured with this model (seed 3), units 0–7 of relu2 and pool2, 50 and 200 steps: end/start
  // between 1.94 and 82. The start image is gray 0.5 ± 5%, and the smallest gains (about 2×) are
  // units the gray start already drives well, with pixels clipped to [0, 1]; 1.5 leaves room.
  // Against real data: the final channel mean over the largest channel mean of the 200 test
  // images measured 1.28 to 2.35 for units 0, 1, 2, 4 at 50 and 200 steps (unit 3 of relu2 is nearly
  // dead: 0.8), so "past every test image" holds with room to spare.
  for (const layer of ['relu2', 'pool2']) {
    it(`${layer} channels 0, 1, 2, 4: the channel mean rises by more than 1.5× in 60 steps, past every test image (seed 1)`, async () => {
      const { y, shape } = await activations(model, layer);
      const [, c, h, w] = shape;
      for (const unit of [0, 1, 2, 4]) {
        const r = await maximizeActivation(model, layer, { unit, steps: 60 });
        expect(r.start, `unit ${unit}`).toBeGreaterThan(0);
        expect(r.end / r.start, `unit ${unit}: ${r.start} → ${r.end}`).toBeGreaterThan(1.5);
        let best = -Infinity;
        for (let i = 0; i < N; i++) {
          let sum = 0;
          for (let p = 0; p < h * w; p++) sum += y[(i * c + unit) * h * w + p];
          best = Math.max(best, sum / (h * w));
        }
        expect(r.end, `unit ${unit}: best test image ${best}`).toBeGreaterThan(best);
        expect(r.history).toHaveLength(60);
        expect(Math.min(...r.image)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...r.image)).toBeLessThanOrEqual(1);
      }
    });
  }

  it('a class score (the output layer) rises by more than 1 (logit units) in 60 steps', async () => {
    // Measured: gains 1.8 to 4.1 for classes 0–7 in 50 steps.
    for (const unit of [0, 3, 5]) {
      const r = await maximizeActivation(model, 'scores', { unit, steps: 60 });
      expect(r.objective).toBe('unit');
      expect(r.end - r.start, `class ${unit}: ${r.start} → ${r.end}`).toBeGreaterThan(1);
    }
  });

  it('blur and decay make a smoother image than plain gradient ascent (total variation)', async () => {
    const tv = (x: Float32Array) => {
      let s = 0;
      for (let r = 0; r < 28; r++) for (let c = 0; c < 27; c++) s += Math.abs(x[r * 28 + c + 1] - x[r * 28 + c]);
      for (let r = 0; r < 27; r++) for (let c = 0; c < 28; c++) s += Math.abs(x[(r + 1) * 28 + c] - x[r * 28 + c]);
      return s;
    };
    const plain = await maximizeActivation(model, 'relu2', { unit: 0, steps: 60, decay: 0, jitter: 0, blurSigma: 0 });
    const regularized = await maximizeActivation(model, 'relu2', { unit: 0, steps: 60 });
    expect(tv(regularized.image)).toBeLessThan(0.8 * tv(plain.image));
    expect(maximizedImage(regularized).width).toBe(28 * 5 + 2);
  });

  it('bad input: unit out of range, unknown layer', async () => {
    await expect(maximizeActivation(model, 'relu2', { unit: 64 })).rejects.toThrow(/unit 64 is out of range: layer 'relu2' has 64 channels \(0 to 63\)/);
    await expect(maximizeActivation(model, 'nope')).rejects.toThrow(/no layer named 'nope' \(layers: conv1/);
  });
});
