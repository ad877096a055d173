import { createCpuBackend } from '@hubel/backend-cpu';
import { ArrayDataset, Adam, Rng, Sgd, Trainer, type Model } from '@hubel/core';
import { SoftmaxCrossEntropy } from '@hubel/layers-loss';
import { CompetitiveLearning, NEOCOGNITRON_PHASES, findSLayer, neocognitron, neocognitronPhases, sLayerNames, sPlaneWeights, zooEntry, type CompetitivePhase } from '@hubel/models';
import { describe, expect, it } from 'vitest';

const backend = createCpuBackend();

/** Side of the synthetic bar images. */
const S = 16;
/** Orientation o of a bar: 0 —, 1 ╲, 2 |, 3 ╱ (row and column steps). */
const STEPS = [[0, 1], [1, 1], [1, 0], [1, -1]] as const;

/**
 * n images of one straight line each, across the whole S×S image through a random point at
 * least 4 pixels from the border, orientation i mod 4 (the label), plus clipped Gaussian noise.
 */
function bars(n: number, seed: number, noise: number): ArrayDataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * S * S);
  const y = Int32Array.from({ length: n }, (_, i) => i % 4);
  for (let i = 0; i < n; i++) {
    const [dy, dx] = STEPS[y[i]];
    const cy = 4 + rng.int(S - 8), cx = 4 + rng.int(S - 8);
    for (let t = -S; t <= S; t++) {
      const r = cy + t * dy, c = cx + t * dx;
      if (r >= 0 && r < S && c >= 0 && c < S) x[i * S * S + r * S + c] = 1;
    }
    for (let p = i * S * S; p < (i + 1) * S * S; p++) x[p] = Math.min(1, Math.max(0, x[p] + noise * rng.normal()));
  }
  return new ArrayDataset(x, [1, S, S], y, [], 4);
}

/** One S/C stage on bar images: 8 planes of 5×5 on the pixels (no contrast layer), θ 0.6. */
const barNet = (seed: number, learning: 'competitive' | 'backprop' = 'competitive') =>
  neocognitron({ inputShape: [1, S, S], classes: 4, contrast: false, learning, stages: [{ planes: 8, size: 5, theta: 0.6, floor: 0.5 }] }).build({ backend, seed });

/** Two stages on bar images, for the phase-by-phase checks. */
const twoStageNet = (seed: number) =>
  neocognitron({
    inputShape: [1, S, S],
    classes: 4,
    contrast: false,
    stages: [{ planes: 8, size: 5, theta: 0.6, floor: 0.5 }, { planes: 8, size: 3, theta: 0.5, floor: 0.01 }],
  }).build({ backend, seed });

const hex = (v: ArrayLike<number>) => Buffer.from(Float32Array.from(v).buffer).toString('hex');
const snapshot = (m: Model) => new Map(m.params().map((p) => [p.key, hex(p.tensor.readSync())]));

describe('neocognitron (Fukushima 1980): the graph', () => {
  it('builds U_G → (S → C)×3 → linear scores with the documented shapes; only the classifier trains', async () => {
    const model = neocognitron().build({ backend, seed: 1 });
    const shape = (node: string) => model.valueInfo.get(model.node(node).outputs[0])!.shape;
    expect(shape('ugrelu')).toEqual([null, 2, 28, 28]);
    expect([shape('s1patch'), shape('s1'), shape('c1')]).toEqual([[null, 50, 28, 28], [null, 16, 28, 28], [null, 16, 14, 14]]);
    expect([shape('s2patch'), shape('s2'), shape('c2')]).toEqual([[null, 400, 14, 14], [null, 32, 14, 14], [null, 32, 7, 7]]);
    expect([shape('s3patch'), shape('s3'), shape('c3')]).toEqual([[null, 288, 7, 7], [null, 64, 7, 7], [null, 64, 4, 4]]);
    expect(sLayerNames(model)).toEqual(['s1', 's2', 's3']);
    expect(model.frozenParams()).toEqual(['ug.W', 's1patch.W', 's1.W', 's1.B', 's2patch.W', 's2.W', 's2.B', 's3patch.W', 's3.W', 's3.B']);
    expect(model.paramCount()).toBe(1024 * 10 + 10);
    // Competitive S layers start as unit vectors with the threshold −θ.
    const W = await model.node('s2').params.W.read();
    for (let k = 0; k < 32; k++) expect(Math.hypot(...W.subarray(k * 400, (k + 1) * 400))).toBeCloseTo(1, 5);
    expect(Array.from(await model.node('s2').params.B.read())).toEqual(new Array(32).fill(Math.fround(-0.4)));
    model.dispose();
  });

  it('an S layer computes φ(w·x/√(ε + ‖x‖²) − θ) over its k×k connection area of every input map (naive loops)', async () => {
    const [C, H, Wd, K, k, theta, eps] = [2, 6, 7, 3, 3, 0.2, 0.05];
    const model = neocognitron({ inputShape: [C, H, Wd], classes: 2, contrast: false, stages: [{ planes: K, size: k, theta, floor: eps }] }).build({ backend, seed: 4 });
    const rng = new Rng(5);
    const x = Float32Array.from({ length: 2 * C * H * Wd }, () => (rng.range(0, 1) < 0.3 ? 0 : rng.range(0, 1)));
    const input = backend.tensor(x, [2, C, H, Wd]);
    const run = model.forward({ input }, { mode: 'eval' });
    const ours = await run.get('s1relu').read();
    const { values: w, shape } = await sPlaneWeights(model, 's1');
    expect(shape).toEqual([K, C, k, k]);
    let worst = 0;
    for (let n = 0; n < 2; n++)
      for (let r = 0; r < H; r++)
        for (let c = 0; c < Wd; c++) {
          // The patch with zero padding, channel-major as the weights.
          const patch: number[] = [];
          for (let ch = 0; ch < C; ch++)
            for (let i = 0; i < k; i++)
              for (let j = 0; j < k; j++) {
                const rr = r + i - 1, cc = c + j - 1;
                patch.push(rr >= 0 && rr < H && cc >= 0 && cc < Wd ? x[((n * C + ch) * H + rr) * Wd + cc] : 0);
              }
          const v = Math.sqrt(eps + patch.reduce((s, p) => s + p * p, 0));
          for (let plane = 0; plane < K; plane++) {
            const dot = patch.reduce((s, p, t) => s + p * w[plane * patch.length + t], 0);
            worst = Math.max(worst, Math.abs(Math.max(0, dot / v - theta) - ours[((n * K + plane) * H + r) * Wd + c]));
          }
        }
    // float32 sums of 18 products of values ≤ 1 in three nodes: ~1e-7 each, well under 1e-5.
    expect(worst).toBeLessThan(1e-5);
    run.dispose();
    input.dispose();
    model.dispose();
  });

  it('U_G: on-centre and off-centre difference of Gaussians, 0 on a flat region', async () => {
    const model = neocognitron().build({ backend, seed: 1 });
    const x = new Float32Array(28 * 28).fill(0.5);
    x[14 * 28 + 14] = 1;
    const input = backend.tensor(x, [1, 1, 28, 28]);
    const run = model.forward({ input }, { mode: 'eval' });
    const g = await run.get('ugrelu').read();
    const at = (ch: number, r: number, c: number) => g[ch * 784 + r * 28 + c];
    // On-centre at the dot: 0.5 above the grey times the centre tap of the centre Gaussian less
    // that of the surround, each normalized to sum 1 over the 7×7 window.
    const tap0 = (sigma: number) => {
      let sum = 0;
      for (let i = -3; i <= 3; i++) for (let j = -3; j <= 3; j++) sum += Math.exp(-(i * i + j * j) / (2 * sigma * sigma));
      return 1 / sum;
    };
    expect(at(0, 14, 14)).toBeCloseTo(0.5 * (tap0(1) - tap0(2)), 6);
    expect(at(1, 14, 14)).toBe(0);
    expect(at(1, 14, 16)).toBeGreaterThan(0); // the dot's surround, darker than its own surround
    // Far from the dot and the border the grey is flat: centre and surround sum to 1 each.
    expect(Math.abs(at(0, 5, 5)) + Math.abs(at(1, 5, 5))).toBeLessThan(1e-6);
    run.dispose();
    input.dispose();
    model.dispose();
  });

  it("neocognitron-backprop: the same graph with trainable S layers (W He-uniform, thresholds 0)", async () => {
    const model = zooEntry('neocognitron-backprop').build({}).build({ backend, seed: 1 });
    expect(model.frozenParams()).toEqual(['ug.W', 's1patch.W', 's2patch.W', 's3patch.W']);
    expect(model.paramCount()).toBe(16 * 51 + 32 * 401 + 64 * 289 + 1024 * 10 + 10);
    expect(Array.from(await model.node('s1').params.B.read())).toEqual(new Array(16).fill(0));
    expect(zooEntry('neocognitron-backprop').trainerPlugins).toBeUndefined();
    model.dispose();
  });

  it('bad options and non-S nodes fail naming what was wrong', () => {
    expect(() => neocognitron({ stages: [{ planes: 4, size: 4, theta: 0.5, floor: 0.1 }] })).toThrow(/neocognitron: stage 1: size must be an odd positive integer, found 4/);
    expect(() => neocognitron({ stages: [{ planes: 4, size: 3, theta: 1, floor: 0.1 }] })).toThrow(/stage 1: theta \(the selectivity\) must be in \[0, 1\), found 1/);
    expect(() => neocognitron({ stages: [{ planes: 4, size: 3, theta: 0.5, floor: 0 }] })).toThrow(/stage 1: floor \(ε of the V cell\) must be positive, found 0/);
    expect(() => neocognitron({ stages: [] })).toThrow(/at least one S\/C stage/);
    expect(() => neocognitron({ contrast: { size: 7, center: 2, surround: 1 } })).toThrow(/contrast needs 0 < center < surround/);
    expect(() => neocognitron({ stages: [{ planes: 2, size: 3, theta: 0.5, floor: 0.1, pool: [0, 1] }] })).toThrow(/stage 1: pool must be \[window, step\] of positive integers, found \[0, 1\]/);
    expect(() => neocognitron({ learning: 'hebbian' as 'backprop' })).toThrow(/learning must be 'competitive' or 'backprop', found 'hebbian'/);
    const model = neocognitron().build({ backend, seed: 1 });
    expect(() => findSLayer(model, 's9')).toThrow(/findSLayer: no node named 's9' in the model \(its S layers: s1, s2, s3\)/);
    expect(() => findSLayer(model, 'c1')).toThrow(/node 'c1' \(AveragePool\) is not an S layer: an S layer is a 1×1 Conv on the V cell's normalized patches \(its S layers: s1, s2, s3\)/);
    expect(() => findSLayer(model, 's1patch')).toThrow(/node 's1patch' \(Conv\) is not an S layer: its Conv is not 1×1/);
    model.dispose();
  });
});

describe('CompetitiveLearning: self-organization of S layers', () => {
  it.each([1, 2, 3])('seed %i: on lines of 4 orientations, the recruited S1 planes are orientation-selective and their preferred orientations cover all 4', async (seed) => {
    const model = barNet(seed);
    const learner = new CompetitiveLearning({ phases: [{ layer: 's1', images: 320 }] });
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.1 }), seed, plugins: [learner] });
    await trainer.fit({ train: bars(400, seed, 0.1), epochs: 1, batchSize: 32 });
    const [report] = learner.reports;
    expect(report).toMatchObject({ layer: 's1', images: 320, batches: 10 });
    const used = report.committed.flatMap((c, k) => (c ? [k] : []));
    expect(used.length).toBeGreaterThanOrEqual(4);
    expect(used.every((k) => report.wins[k] > 0)).toBe(true);

    // Each plane's response to a clean line of each orientation: the mean over 50 lines of the
    // strongest S cell of the plane anywhere in the image.
    const test = bars(200, 99, 0);
    const batch = test.batch(Int32Array.from({ length: 200 }, (_, i) => i), backend);
    const run = model.forward({ input: batch.x }, { mode: 'eval' });
    const y = await run.get('s1relu').read();
    const response = Array.from({ length: 8 }, () => [0, 0, 0, 0]);
    for (let i = 0; i < 200; i++)
      for (let k = 0; k < 8; k++) {
        let m = 0;
        for (let p = 0; p < S * S; p++) m = Math.max(m, y[(i * 8 + k) * S * S + p]);
        response[k][test.y[i]] += m / 50;
      }
    run.dispose();
    batch.x.dispose();
    batch.y.dispose();
    const preferred = used.map((k) => response[k].indexOf(Math.max(...response[k])));
    expect(new Set(preferred), `preferred orientations of planes ${used.join(', ')}: ${preferred.join(', ')}`).toEqual(new Set([0, 1, 2, 3]));
    // Selective, not merely largest: a line through the middle of a 5×5 patch and one at another
    // orientation share 1 of 5 pixels (cos 0.2, under θ = 0.6), so a tuned plane answers its own
    // orientation with w·x̂ − θ ≈ 0.3 and others with ~0; 3× is far from both.
    used.forEach((k, i) => {
      const others = response[k].filter((_, o) => o !== preferred[i]);
      expect(response[k][preferred[i]], `plane ${k}: ${response[k].map((v) => v.toFixed(3)).join(', ')}`).toBeGreaterThan(3 * Math.max(...others));
    });
    model.dispose();
  });

  it('phase by phase: each batch changes only the S layer of its phase, then only the classifier; frozen parameters get no optimizer slots', async () => {
    const model = twoStageNet(7);
    const phases: CompetitivePhase[] = [{ layer: 's1', images: 64 }, { layer: 's2', images: 40 }];
    const lines: string[] = [];
    const optimizer = new Adam({ lr: 0.01 });
    const trainer = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer, seed: 7, plugins: [new CompetitiveLearning({ phases, log: (l) => lines.push(l) })] });
    const changed: string[][] = [];
    let before = snapshot(model);
    trainer.hooks.batchEnd.tap('test', () => {
      const after = snapshot(model);
      changed.push([...after.keys()].filter((k) => after.get(k) !== before.get(k)));
      before = after;
    });
    await trainer.fit({ train: bars(192, 8, 0.1), epochs: 2, batchSize: 32 });
    // s1: 64 images = batches 0–1; s2: 40 images, rounded up to batches 2–3; then backprop.
    const classifier = ['scores.W', 'scores.B'];
    expect(changed).toEqual([['s1.W'], ['s1.W'], ['s2.W'], ['s2.W'], classifier, classifier, classifier, classifier, classifier, classifier, classifier, classifier]);
    expect(optimizer.stepCount).toBe(8);
    const state = await optimizer.exportState();
    expect(Object.keys(state.slots).filter((k) => !k.startsWith('scores.'))).toEqual([]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^competitive learning: s1 self-organized on 64 images: \d+ of 8 planes recruited from unrepresented patches, \d+ of 8 won [\d,]+ times in all, mean winning response 0\.\d{3}; s1 stays frozen from here on$/);
    expect(lines[1]).toMatch(/^competitive learning: s2 self-organized on 64 images/);
    model.dispose();
  });

  it('a run resumed in the middle of a phase carries on with it, counting its position from the epoch and batch', async () => {
    const model = twoStageNet(9);
    const phases: CompetitivePhase[] = [{ layer: 's1', images: 96 }, { layer: 's2', images: 64 }];
    const train = bars(192, 10, 0.1);
    const first = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Adam({ lr: 0.01 }), seed: 9, plugins: [new CompetitiveLearning({ phases })] });
    first.hooks.batchEnd.tap('test', (b) => {
      if (b.batch === 1) first.requestStop('test');
    });
    expect((await first.fit({ train, epochs: 2, batchSize: 32 })).stopReason).toBe('test');
    const state = await first.state();
    expect([state.epoch, state.batchInEpoch]).toEqual([0, 2]);
    const optimizer = new Adam({ lr: 0.01 });
    const learner = new CompetitiveLearning({ phases });
    const again = new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer, seed: 9, plugins: [learner] });
    const changed: string[][] = [];
    let before = snapshot(model);
    again.hooks.batchEnd.tap('test', () => {
      const after = snapshot(model);
      changed.push([...after.keys()].filter((k) => after.get(k) !== before.get(k)));
      before = after;
    });
    await again.fit({ train, epochs: 1, batchSize: 32, resume: state });
    // Batches 2 (the rest of s1's phase), 3–4 (s2), then the classifier.
    expect(changed).toEqual([['s1.W'], ['s2.W'], ['s2.W'], ['scores.W', 'scores.B']]);
    expect(learner.reports.map((r) => [r.layer, r.images])).toEqual([['s1', 32], ['s2', 64]]);
    model.dispose();
  });

  it('a bad phase fails with a clear error: unknown layer, non-S layer, trainable S layer, repeated layer, bad numbers', () => {
    const make = (phases: CompetitivePhase[], model = barNet(1), o = {}) => () => new Trainer({ model, loss: SoftmaxCrossEntropy, optimizer: new Sgd({ lr: 0.1 }), plugins: [new CompetitiveLearning({ phases, ...o })] });
    expect(make([{ layer: 'S1', images: 10 }])).toThrow(/CompetitiveLearning: phase 1: no node named 'S1' in the model \(its S layers: s1\)/);
    expect(make([{ layer: 's1', images: 10 }, { layer: 'c1', images: 10 }])).toThrow(/CompetitiveLearning: phase 2: node 'c1' \(AveragePool\) is not an S layer/);
    expect(make([{ layer: 'v1', images: 10 }])).toThrow(/node 'v1' \(LRN\) is not an S layer/);
    expect(make([{ layer: 's1', images: 10 }], barNet(1, 'backprop'))).toThrow(/phase 1: S layer 's1' has trainable W and B; freeze it/);
    expect(make([{ layer: 's1', images: 10 }, { layer: 's1', images: 10 }])).toThrow(/S layer 's1' has two phases/);
    expect(make([{ layer: 's1', images: 0 }])).toThrow(/phase 1 \('s1'\): images must be a positive integer, found 0/);
    expect(make([{ layer: 's1', images: 10, theta: 1.5 }])).toThrow(/phase 1 \('s1'\): theta must be in \[0, 1\), found 1.5/);
    expect(make([{ layer: 's1', images: 10, radius: -1 }])).toThrow(/radius must be a non-negative integer, found -1/);
    expect(make([{ layer: 's1', images: 10 }], barNet(1), { rate: 0 })).toThrow(/rate must be positive, found 0/);
    expect(make([])).toThrow(/phases must list at least one/);
  });

  it("the zoo entry's trainer plugin runs the default phases, capped at a quarter of the training set, and says so", () => {
    expect(neocognitronPhases(60000)).toEqual(NEOCOGNITRON_PHASES.map((p) => ({ ...p })));
    expect(neocognitronPhases(900).map((p) => p.images)).toEqual([225, 225, 225]);
    const lines: string[] = [];
    const plugins = zooEntry('neocognitron').trainerPlugins!({ train: bars(900, 1, 0), seed: 3, log: (l) => lines.push(l) });
    expect(plugins).toHaveLength(1);
    expect(plugins[0]).toBeInstanceOf(CompetitiveLearning);
    expect(lines).toEqual(['neocognitron: competitive learning of s1 on 225, s2 on 225, s3 on 225 training images (θ_L 0.8, 0.7, 0.7), one layer after the other, then the classifier by backprop with the S layers frozen']);
  });
});
