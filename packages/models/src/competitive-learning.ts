import { HubelError, type BatchForward, type Trainer, type TrainerPlugin } from '@hubel/core';
import { findSLayer, type SLayer } from './neocognitron.js';

/** One self-organization phase of {@link CompetitiveLearning}: which S layer, on how many images. */
export interface CompetitivePhase {
  /** The S layer's S-cell node (`s1`, `s2`…; see `findSLayer`). */
  readonly layer: string;
  /** Training images the phase learns from, rounded up to whole batches (at least one). */
  readonly images: number;
  /**
   * Competition radius in positions: once a cell wins at a position, no cell of any plane within
   * this Chebyshev distance may win for the same image. Default ⌊k/2⌋ for a k×k connection area.
   */
  readonly radius?: number;
  /**
   * Selectivity θ_L while learning, in [0, 1): responses for the competition and for
   * recruitment are w·x̂ − θ_L. Fukushima (2003) learns with a higher θ than he recognizes with,
   * so that learning makes more, sharper planes and recognition generalizes. Default: the
   * layer's own θ (−B).
   */
  readonly theta?: number;
}

/** Options of {@link CompetitiveLearning}. */
export interface CompetitiveLearningOptions {
  /** The phases, run one after the other from the start of training, each on its own images. */
  readonly phases: readonly CompetitivePhase[];
  /** Reinforcement q of the update w ← (w + q·x̂)/‖w + q·x̂‖; default 0.1. */
  readonly rate?: number;
  /** Receives one line per phase, when it ends. */
  readonly log?: (line: string) => void;
}

/** What one finished phase did, in {@link CompetitiveLearning.reports}. */
export interface CompetitiveReport {
  /** The S layer. */
  readonly layer: string;
  /** Images the phase saw. */
  readonly images: number;
  /** Batches of the phase. */
  readonly batches: number;
  /** Planes recruited from a patch during the phase (the others never met an unrepresented patch). */
  readonly recruited: number;
  /** Whether each plane was recruited (true) or is still its random initial unit vector (false). */
  readonly committed: readonly boolean[];
  /** Wins per cell plane over the phase (recruitment not counted). */
  readonly wins: readonly number[];
  /** Mean response w·x̂ − θ of the winners. */
  readonly meanResponse: number;
}

interface PhasePlan {
  readonly phase: CompetitivePhase;
  readonly s: SLayer;
  readonly radius: number;
  /** Global batch indices [start, end). */
  start: number;
  end: number;
  images: number;
  committed: Uint8Array;
  recruited: number;
  wins: number[];
  responseSum: number;
}

/**
 * Unsupervised competitive learning of a neocognitron's S layers, layer by layer, as Fukushima
 * (1980) describes it, as a Trainer plugin on `batchForward`. The phases run from the first
 * training batch on, each on the next `images` images; during a phase the plugin takes every
 * batch (no backward pass, no optimizer step), so the classifier trains by backprop only once
 * every S layer is done. A phase on S layer l reads the V cell's normalized patches x̂ of each
 * image from the batch's run and, image after image, with the weights as the previous images
 * left them:
 *
 * 1. computes every recruited plane's response y = w·x̂ − θ at every position (θ the layer's
 *    threshold −B, or the phase's learning threshold θ_L);
 * 2. chooses winners greedily: the strongest positive response over all planes and positions
 *    wins; its plane may not win again for this image and no cell within `radius` of its
 *    position may win; repeat until no positive response is left (each plane wins at most once
 *    per image, one winner per competition area);
 * 3. moves each winner's plane toward the patch at the winner's position,
 *    w ← (w + q·x̂)/‖w + q·x̂‖ (unit vectors; weight sharing makes every cell of the plane
 *    follow: Fukushima's reinforcement of the representative);
 * 4. recruits one plane not yet recruited, if any, from the most salient patch (largest ‖x̂‖²,
 *    at least ½, i.e. ‖x‖² ≥ ε: not blank) at a position where no recruited plane responds
 *    within the radius (y ≤ 0 for all): w ← x̂/‖x̂‖. Planes start uncommitted, as Fukushima's
 *    start with no inhibition and take the first patterns nobody else claims; so no plane
 *    starts dead on a blank patch, and every kind of patch that appears while planes are free
 *    gets one.
 *
 * Position in the run is counted from the epoch and batch index, so a run resumed from a
 * checkpoint goes on where it stopped (a phase resumed midway counts all its planes as
 * recruited). The S layers must be frozen (the builder's `frozen` option): only this plugin
 * changes them. Throws at `apply` naming the phase when a layer is not an S layer, is not frozen
 * or has two phases, or at construction when an option is out of range.
 */
export class CompetitiveLearning implements TrainerPlugin {
  /** Reports of the phases finished so far, in order. */
  readonly reports: CompetitiveReport[] = [];
  readonly #o: CompetitiveLearningOptions;

  constructor(options: CompetitiveLearningOptions) {
    this.#o = options;
    const bad = (what: string) => new HubelError('attribute', `CompetitiveLearning: ${what}`);
    if (!Array.isArray(options.phases) || options.phases.length === 0) throw bad('phases must list at least one { layer, images }');
    const rate = options.rate ?? 0.1;
    if (!(rate > 0 && Number.isFinite(rate))) throw bad(`rate must be positive, found ${rate}`);
    options.phases.forEach((p, i) => {
      if (!(Number.isInteger(p.images) && p.images >= 1)) throw bad(`phase ${i + 1} ('${p.layer}'): images must be a positive integer, found ${p.images}`);
      if (p.radius !== undefined && !(Number.isInteger(p.radius) && p.radius >= 0)) throw bad(`phase ${i + 1} ('${p.layer}'): radius must be a non-negative integer, found ${p.radius}`);
      if (p.theta !== undefined && !(p.theta >= 0 && p.theta < 1)) throw bad(`phase ${i + 1} ('${p.layer}'): theta must be in [0, 1), found ${p.theta}`);
    });
  }

  apply(trainer: Trainer): void {
    const model = trainer.model;
    const plans: PhasePlan[] = this.#o.phases.map((phase, i) => {
      const s = findSLayer(model, phase.layer, `CompetitiveLearning: phase ${i + 1}`);
      const trainable = Object.keys(s.node.params).filter((k) => s.node.paramSpecs[k]?.trainable !== false);
      if (trainable.length) throw new HubelError('attribute', `CompetitiveLearning: phase ${i + 1}: S layer '${phase.layer}' has trainable ${trainable.join(' and ')}; freeze it (the builder's frozen option, as neocognitron({ learning: 'competitive' }) does) so that only competitive learning changes it`);
      return { phase, s, radius: phase.radius ?? Math.floor(s.size / 2), start: 0, end: 0, images: 0, committed: new Uint8Array(s.planes), recruited: 0, wins: new Array<number>(s.planes).fill(0), responseSum: 0 };
    });
    const seen = new Set<string>();
    for (const p of plans) {
      if (seen.has(p.phase.layer)) throw new HubelError('attribute', `CompetitiveLearning: S layer '${p.phase.layer}' has two phases`);
      seen.add(p.phase.layer);
    }
    const rate = this.#o.rate ?? 0.1;
    let batchesPerEpoch = 0;
    trainer.hooks.runStart.tap('CompetitiveLearning', (run) => {
      batchesPerEpoch = run.batchesPerEpoch;
      let at = 0;
      for (const p of plans) {
        p.start = at;
        p.end = at + Math.ceil(p.phase.images / run.batchSize);
        at = p.end;
      }
    });
    trainer.hooks.batchForward.tapPromise('CompetitiveLearning', async (b: BatchForward) => {
      const g = b.epoch * batchesPerEpoch + b.batch;
      const p = plans.find((q) => g >= q.start && g < q.end);
      if (!p) return undefined;
      // A phase entered midway (a resumed run) has its planes from the checkpoint.
      if (g > p.start && p.images === 0) p.committed.fill(1);
      const xhat = b.run.get(p.s.v.outputs[0]);
      const [n, d, h, w] = xhat.shape;
      const W = p.s.node.params.W;
      const weights = Float64Array.from(await W.read());
      const theta = p.phase.theta !== undefined ? new Array<number>(p.s.planes).fill(p.phase.theta) : Array.from(await p.s.node.params.B.read(), (v) => -v);
      const x = await xhat.read();
      for (let i = 0; i < n; i++) learnImage(p, weights, theta, x.subarray(i * d * h * w, (i + 1) * d * h * w), d, h, w, rate);
      p.images += n;
      const t = model.backend.tensor(weights, W.shape);
      model.backend.ops.assign(W, t);
      t.dispose();
      if (g === p.end - 1) this.#finish(p);
      return true;
    });
  }

  #finish(p: PhasePlan): void {
    const total = p.wins.reduce((a, b) => a + b, 0);
    const report: CompetitiveReport = {
      layer: p.phase.layer,
      images: p.images,
      batches: p.end - p.start,
      recruited: p.recruited,
      committed: Array.from(p.committed, (c) => c === 1),
      wins: [...p.wins],
      meanResponse: total ? p.responseSum / total : 0,
    };
    this.reports.push(report);
    const planes = p.s.planes;
    const won = p.wins.filter((c) => c > 0).length;
    this.#o.log?.(
      `competitive learning: ${report.layer} self-organized on ${report.images.toLocaleString('en-US')} images: ${report.recruited} of ${planes} planes recruited from unrepresented patches, ` +
        `${won} of ${planes} won ${total.toLocaleString('en-US')} times in all, mean winning response ${report.meanResponse.toFixed(3)}; ${report.layer} stays frozen from here on`,
    );
  }
}

/**
 * One image's competition, reinforcement and recruitment (steps 1–4 of {@link CompetitiveLearning}).
 * x is the image's x̂ [d, h·w]; weights [planes, d] are updated in place.
 */
function learnImage(p: PhasePlan, weights: Float64Array, theta: readonly number[], x: ArrayLike<number>, d: number, h: number, w: number, rate: number): void {
  const planes = p.s.planes;
  const hw = h * w;
  // y[k, pos] = w_k·x̂(pos) − θ_k for recruited planes; −∞ for the others (they do not compete).
  const y = new Float64Array(planes * hw).fill(-Infinity);
  for (let k = 0; k < planes; k++) {
    if (!p.committed[k]) continue;
    const yk = y.subarray(k * hw, (k + 1) * hw).fill(-theta[k]);
    for (let c = 0; c < d; c++) {
      const wc = weights[k * d + c];
      if (wc === 0) continue;
      const xc = c * hw;
      for (let pos = 0; pos < hw; pos++) yk[pos] += wc * x[xc + pos];
    }
  }
  const blocked = new Uint8Array(hw);
  const done = new Uint8Array(planes);
  const r = p.radius;
  const block = (pos: number, mask = blocked) => {
    const row = Math.floor(pos / w), col = pos % w;
    for (let rr = Math.max(0, row - r); rr <= Math.min(h - 1, row + r); rr++)
      for (let cc = Math.max(0, col - r); cc <= Math.min(w - 1, col + r); cc++) mask[rr * w + cc] = 1;
  };
  const moveToward = (k: number, pos: number, q: number) => {
    let ss = 0;
    for (let c = 0; c < d; c++) ss += (weights[k * d + c] = q * weights[k * d + c] + x[c * hw + pos]) ** 2;
    const norm = Math.sqrt(ss);
    for (let c = 0; c < d; c++) weights[k * d + c] /= norm;
  };
  for (;;) {
    let best = 0, bk = -1, bpos = -1;
    for (let k = 0; k < planes; k++) {
      if (done[k]) continue;
      const base = k * hw;
      for (let pos = 0; pos < hw; pos++) {
        const v = y[base + pos];
        if (v > best && !blocked[pos]) (best = v), (bk = k), (bpos = pos);
      }
    }
    if (bk < 0) break;
    done[bk] = 1;
    block(bpos);
    // w + q·x̂, normalized, is (w/q + x̂) normalized: the same direction.
    moveToward(bk, bpos, 1 / rate);
    p.wins[bk]++;
    p.responseSum += best;
  }
  const free = p.committed.indexOf(0);
  if (free < 0) return;
  // Recruit where the whole competition area is unrepresented: no recruited plane responds
  // within the radius (so a pattern a plane already answers nearby does not take a new plane).
  const covered = new Uint8Array(hw);
  for (let pos = 0; pos < hw; pos++) {
    let responds = false;
    for (let k = 0; k < planes && !responds; k++) responds = y[k * hw + pos] > 0;
    if (responds) block(pos, covered);
  }
  let most = 0.5, at = -1;
  for (let pos = 0; pos < hw; pos++) {
    if (covered[pos]) continue;
    let ss = 0;
    for (let c = 0; c < d; c++) ss += x[c * hw + pos] ** 2;
    if (ss >= most) (most = ss), (at = pos);
  }
  if (at < 0) return;
  moveToward(free, at, 0);
  p.committed[free] = 1;
  p.recruited++;
}
