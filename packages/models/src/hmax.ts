import { GraphBuilder, HubelError, Rng, type Dataset, type Model } from '@hubel/core';
import { Relu } from '@hubel/layers-activation';
import { Conv, GaussianRbf } from '@hubel/layers-conv';
import { Flatten, Linear } from '@hubel/layers-dense';
import { GlobalMaxPool, MaxPool, Maxout } from '@hubel/layers-pool';
import { zooRegistry } from './plugins.js';
import { checkClasses, checkInput, type ZooOptions } from './options.js';

/** Options of {@link hmax}. Defaults suit 28×28 images (Fashion-MNIST); see docs/guides/hmax.md. */
export interface HmaxOptions extends ZooOptions {
  /** S1 orientations θ = k·π/n; default 4 (Serre et al. 2007). */
  readonly orientations?: number;
  /**
   * S1 wavelengths in pixels, ascending, an even number: consecutive pairs are C1's bands (C1
   * takes the max over a band's two scales). Default [2.5, 3.2, 4.1, 5.2]: two bands.
   */
  readonly wavelengths?: readonly number[];
  /** Odd square S1 kernel size (padded to keep the image size); default 11. */
  readonly s1Size?: number;
  /** S1 aspect ratio γ; default 0.3 (Serre et al. 2007). */
  readonly gamma?: number;
  /** C1 max-pool window and step (overlapping when step < window); default 4 and 2. */
  readonly c1Pool?: readonly [number, number];
  /** Number of S2 prototypes; default 500. */
  readonly prototypes?: number;
  /** Square S2 prototype size in C1 positions; default 4. */
  readonly prototypeSize?: number;
  /**
   * S2 sharpness β in exp(−β‖X − P‖²); default 0.1: on Fashion-MNIST the median distance from a
   * prototype to its best match in an image is about 8 (C1 of 8 channels, 4×4 prototypes), so
   * C2 spreads over (0, 1) instead of piling up at 0 (docs/guides/hmax.md).
   */
  readonly beta?: number;
}

/**
 * HMAX, the "standard model" of the ventral stream (Riesenhuber & Poggio 1999; Serre, Wolf,
 * Bileschi, Riesenhuber & Poggio 2007), as a Hubel graph on [N, C, H, W] pixels in [0, 1]:
 * - `s1`: a frozen Gabor bank (Conv, `init: 'gabor'`), orientations × wavelengths × phases {0, π}
 *   (a filter and its negative), and `s1abs` a ReLU: the two phases after ReLU carry |S1|;
 * - `c1max` (Maxout over each orientation's 2 scales × 2 signs: max over a band's adjacent
 *   scales of |S1|) and `c1` (overlapping max pool): [N, orientations·bands, h, w];
 * - `s2`: GaussianRbf to `prototypes` prototypes spanning all C1 channels, frozen (imprinted
 *   from training images by {@link imprintPrototypes});
 * - `c2`: global max per prototype, then `scores`, a Linear classifier (the only trained layer).
 * The bands are C1 channels side by side, pooled on one grid, rather than separate maps whose S2
 * maxima C2 combines: 28×28 images leave room for one pooling grid (docs/guides/hmax.md).
 */
export function hmax(o: HmaxOptions = {}): GraphBuilder {
  const classes = o.classes ?? 10;
  const inputShape = o.inputShape ?? [1, 28, 28];
  checkClasses(classes, 'hmax');
  checkInput(inputShape, 'hmax');
  const orientations = o.orientations ?? 4;
  const wavelengths = o.wavelengths ?? [2.5, 3.2, 4.1, 5.2];
  const size = o.s1Size ?? 11;
  const [pool, step] = o.c1Pool ?? [4, 2];
  const prototypes = o.prototypes ?? 500;
  const k = o.prototypeSize ?? 4;
  const bad = (what: string) => new HubelError('attribute', `hmax: ${what}`);
  if (!(wavelengths.length >= 2 && wavelengths.length % 2 === 0)) throw bad(`wavelengths must be an even number of values (pairs of scales form C1's bands), found [${wavelengths.join(', ')}]`);
  if (!(Number.isInteger(size) && size >= 3 && size % 2 === 1)) throw bad(`s1Size must be an odd integer >= 3, found ${size}`);
  if (!(Number.isInteger(prototypes) && prototypes >= 1)) throw bad(`prototypes must be a positive integer, found ${prototypes}`);
  const g = new GraphBuilder({ registry: o.registry ?? zooRegistry() });
  let v = g.input('input', [null, ...inputShape]);
  const p = (size - 1) / 2;
  v = g.add(Conv, {
    outChannels: orientations * wavelengths.length * 2, kernelShape: [size, size], pads: [p, p, p, p], bias: false,
    init: 'gabor', gaborOrientations: orientations, gaborWavelengths: wavelengths, gaborPhases: [0, Math.PI], gaborGamma: o.gamma ?? 0.3, gaborOrder: 'orientation',
  }, v, { name: 's1', frozen: true });
  v = g.add(Relu, {}, v, { name: 's1abs' });
  // Orientation-major order: channel (θ·scales + scale)·2 + sign, so each group of 4 is one band of one θ.
  v = g.add(Maxout, { groupSize: 4 }, v, { name: 'c1max' });
  v = g.add(MaxPool, { kernelShape: [pool, pool], strides: [step, step] }, v, { name: 'c1' });
  v = g.add(GaussianRbf, { prototypes, kernelShape: [k, k], beta: o.beta ?? 0.1 }, v, { name: 's2', frozen: true });
  v = g.add(GlobalMaxPool, {}, v, { name: 'c2' });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  g.output(g.add(Linear, { outFeatures: classes }, v, { name: 'scores' }));
  return g;
}

/** Where one imprinted prototype came from: training image and top-left C1 position of the patch. */
export interface ImprintRecord {
  /** Prototype index (row of the S2 node's P). */
  readonly prototype: number;
  /** Index of the training image in the dataset. */
  readonly image: number;
  /** Top row of the patch in the C1 map. */
  readonly row: number;
  /** Left column of the patch in the C1 map. */
  readonly col: number;
}

/** Options of {@link imprintPrototypes}. */
export interface ImprintOptions {
  /** Seed of the random images and positions; default 1. */
  readonly seed?: number;
  /** The GaussianRbf node to imprint; default 's2'. Its input is the C1 map patches come from. */
  readonly node?: string;
  /** Images per forward pass; default 64. */
  readonly batchSize?: number;
}

/**
 * Prototype imprinting as in Serre et al. 2007: each prototype of the S2 node becomes the C1
 * patch (all channels × the prototype's k×k positions) of a random training image at a random
 * position. Runs the model forward in eval mode on the drawn images, overwrites P in place
 * (frozen or not) and returns where each prototype came from. Throws when the node is not a
 * GaussianRbf or its input is smaller than a prototype.
 */
export async function imprintPrototypes(model: Model, data: Dataset, o: ImprintOptions = {}): Promise<ImprintRecord[]> {
  const s2 = model.node(o.node ?? 's2');
  if (s2.layer !== GaussianRbf) throw new HubelError('attribute', `imprintPrototypes: node '${s2.name}' is ${s2.layer.type}, not GaussianRbf`);
  const P = s2.params.P;
  const [m, c, kh, kw] = P.shape;
  const c1Name = s2.inputs[0];
  const shape = model.valueInfo.get(c1Name)?.shape;
  if (!shape || shape.length !== 4 || shape[2] === null || shape[3] === null) throw new HubelError('shape', `imprintPrototypes: the shape of '${c1Name}' (input of '${s2.name}') is unknown`);
  const [h, w] = [shape[2], shape[3]];
  if (h < kh || w < kw) throw new HubelError('shape', `imprintPrototypes: prototypes of ${kh}×${kw} do not fit the ${h}×${w} map '${c1Name}'`);
  if (data.length < 1) throw new HubelError('attribute', 'imprintPrototypes: the dataset is empty');
  const rng = new Rng(o.seed ?? 1);
  const records: ImprintRecord[] = Array.from({ length: m }, (_, prototype) => ({ prototype, image: rng.int(data.length), row: rng.int(h - kh + 1), col: rng.int(w - kw + 1) }));
  const images = [...new Set(records.map((r) => r.image))].sort((a, b) => a - b);
  const values = new Float64Array(P.size);
  const per = c * kh * kw;
  const batchSize = o.batchSize ?? 64;
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const slot = new Map(chunk.map((img, i) => [img, i]));
    const batch = data.batch(chunk, model.backend);
    const run = model.forward({ [model.inputs[0].name]: batch.x }, { mode: 'eval' });
    try {
      const c1 = await run.get(c1Name).read();
      for (const r of records) {
        const i = slot.get(r.image);
        if (i === undefined) continue;
        for (let ch = 0; ch < c; ch++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++) values[r.prototype * per + (ch * kh + y) * kw + x] = c1[((i * c + ch) * h + r.row + y) * w + r.col + x];
      }
    } finally {
      run.dispose();
      batch.x.dispose();
      batch.y.dispose();
    }
  }
  const t = model.backend.tensor(values, P.shape);
  model.backend.ops.assign(P, t);
  t.dispose();
  return records;
}
