import { GraphBuilder, HubelError, type InitSpec, type Model, type Node, type Rng, type Shape } from '@hubel/core';
import { Relu } from '@hubel/layers-activation';
import { Conv } from '@hubel/layers-conv';
import { Flatten, Linear } from '@hubel/layers-dense';
import { LRN } from '@hubel/layers-norm';
import { AveragePool } from '@hubel/layers-pool';
import type { CompetitivePhase } from './competitive-learning.js';
import { zooRegistry } from './plugins.js';
import { checkClasses, checkInput, type ZooOptions } from './options.js';

/** One S layer and the C layer after it (see {@link neocognitron}). */
export interface NeocognitronStage {
  /** Cell planes of the S layer (its output channels). */
  readonly planes: number;
  /** Odd side of an S cell's connection area on the previous layer, in positions. */
  readonly size: number;
  /**
   * Selectivity θ in [0, 1): an S cell responds when the cosine between its weights and its
   * input patch exceeds θ (Fukushima's r = θ/(1 − θ)). Competitive learning only: backprop
   * learns the threshold as a bias that starts at 0.
   */
  readonly theta: number;
  /**
   * ε > 0 under the V cell's square root, √(ε + ‖x‖²): patches with ‖x‖² ≪ ε are attenuated
   * (Fukushima's "1 +" in the S cell's denominator), so that blank background does not respond.
   */
  readonly floor: number;
  /** The C layer's average-pool window and step (padded by ⌊window/2⌋); default [3, 2]. */
  readonly pool?: readonly [number, number];
}

/** Options of {@link neocognitron}. */
export interface NeocognitronOptions extends ZooOptions {
  /**
   * How the S layers learn. `'competitive'` (default): their weights start as random unit
   * vectors and their thresholds at −θ, all frozen against the optimizer, for
   * {@link CompetitiveLearning} to self-organize; only the classifier trains by backprop.
   * `'backprop'`: the same graph with trainable S layers (weights He-uniform, thresholds 0).
   */
  readonly learning?: 'competitive' | 'backprop';
  /** The S/C stages, bottom to top; default {@link NEOCOGNITRON_STAGES}. */
  readonly stages?: readonly NeocognitronStage[];
  /**
   * The contrast-extracting layer U_G before S1 (Fukushima 2003): on- and off-centre cells, a
   * frozen difference of Gaussians and its negative, each through a ReLU, so that S1 sees edges
   * and lines rather than flat regions. Its kernel side (odd) and the centre and surround σ in
   * pixels; default { size: 7, center: 1, surround: 2 }; `false`: none, S1 reads the pixels.
   */
  readonly contrast?: false | { readonly size: number; readonly center: number; readonly surround: number };
}

/**
 * The default stages for 28×28 images: S1 16 planes of 5×5×2 (on U_G's on- and off-centre
 * maps) → C1 14×14; S2 32 planes of 5×5×16 → C2 7×7; S3 64 planes of 3×3×32 → C3 4×4; 1,024 C3
 * values into the classifier. θ falls from 0.5 to 0.3 going up, as Fukushima's selectivity
 * does; each ε is about 2% of the median ‖x‖² of that layer's input patches on the bundled
 * Fashion-MNIST sample (0.058, 1.7 and 0.62 after self-organization; docs/guides/neocognitron.md).
 */
export const NEOCOGNITRON_STAGES: readonly NeocognitronStage[] = Object.freeze([
  { planes: 16, size: 5, theta: 0.5, floor: 0.001 },
  { planes: 32, size: 5, theta: 0.4, floor: 0.03 },
  { planes: 64, size: 3, theta: 0.3, floor: 0.015 },
]);

/**
 * Fukushima's neocognitron (1980) as a graph of Hubel layers on [N, C, H, W] pixels in [0, 1]:
 * stages of an S layer (feature extraction) and a C layer (blurring), then a linear classifier.
 * Stage i (1-based) is five nodes:
 *
 * - `s{i}patch` (Conv k×k, one group per input map, frozen one-hot weights, pads ⌊k/2⌋): the
 *   S cells' connection area, each input map's k×k patch around every position laid out as
 *   C·k² channels (c-major, then row, then column);
 * - `v{i}` (LRN across all C·k² channels, α = size, β = ½, bias ε): the V cell,
 *   x̂ = x / √(ε + ‖x‖²), each patch divided by its own norm;
 * - `s{i}` (Conv 1×1, one unit-norm weight vector w per cell plane, bias −θ): the S cells,
 *   s = w·x̂ − θ, the cosine between weights and patch less the selectivity;
 * - `s{i}relu` (Relu): φ, the threshold: an S cell responds only above θ;
 * - `c{i}` (AveragePool, window and step from the stage, padded): the C cells, a blur and
 *   subsampling of each S plane.
 *
 * Then `flatten` and `scores` (Linear). Every node is a standard ONNX op.
 *
 * The mapping to Fukushima 1980 (eqs. 1–3): the S cell there is
 * u_S = r·φ[(1 + Σ a·u_C) / (1 + r/(1+r)·b·v_C) − 1], with the V cell
 * v_C = √(Σ c(v)·u_C²) over the connection area. Its reinforcement (Δa = q·c·u_C, Δb = q·v_C)
 * makes a ≈ b·c·ŵ for a unit vector ŵ, so for inputs well above the 1s
 * u_S ≈ (1 + r)·φ[cos(ŵ, u_C) − θ] with θ = r/(1 + r): here `s{i}relu`, without the constant
 * factor 1 + r, with c(v) = 1 over the k×k area, and with ε in the place of the 1 that keeps
 * weak inputs weak. C cells there are u_C = ψ[(1 + Σ d·u_S)/(1 + v_S) − 1], ψ(x) = φ(x)/(α + φ(x));
 * here an unweighted average (d uniform, no saturation ψ, no inhibition v_S). What the
 * network learns, and how, is {@link CompetitiveLearning}; docs/guides/neocognitron.md has
 * the whole comparison.
 *
 * Throws naming the option when a stage is malformed, and a shape error when the input is too
 * small for the stages.
 */
export function neocognitron(o: NeocognitronOptions = {}): GraphBuilder {
  const classes = o.classes ?? 10;
  const inputShape = o.inputShape ?? [1, 28, 28];
  checkClasses(classes, 'neocognitron');
  checkInput(inputShape, 'neocognitron');
  const learning = o.learning ?? 'competitive';
  if (learning !== 'competitive' && learning !== 'backprop') throw new HubelError('attribute', `neocognitron: learning must be 'competitive' or 'backprop', found '${String(learning)}'`);
  const stages = o.stages ?? NEOCOGNITRON_STAGES;
  if (stages.length === 0) throw new HubelError('attribute', 'neocognitron: stages must list at least one S/C stage');
  stages.forEach((st, i) => checkStage(st, i + 1));
  const g = new GraphBuilder({ registry: o.registry ?? zooRegistry() });
  let v = g.input('input', [null, ...inputShape]);
  let channels = inputShape[0];
  const contrast = o.contrast === undefined ? { size: 7, center: 1, surround: 2 } : o.contrast;
  if (contrast) {
    const { size, center, surround } = contrast;
    if (!(Number.isInteger(size) && size >= 3 && size % 2 === 1)) throw new HubelError('attribute', `neocognitron: contrast.size must be an odd integer >= 3, found ${size}`);
    if (!(center > 0 && surround > center)) throw new HubelError('attribute', `neocognitron: contrast needs 0 < center < surround, found center ${center} and surround ${surround}`);
    const r = (size - 1) / 2;
    v = g.add(Conv, { outChannels: 2 * channels, kernelShape: [size, size], pads: [r, r, r, r], group: channels, bias: false }, v, { name: 'ug', frozen: true, init: { W: (shape) => onOffCenter(shape, center, surround) } });
    v = g.add(Relu, {}, v, { name: 'ugrelu' });
    channels *= 2;
  }
  stages.forEach((st, i) => {
    const n = i + 1;
    const k = st.size;
    const r = (k - 1) / 2;
    const taps = channels * k * k;
    v = g.add(Conv, { outChannels: taps, kernelShape: [k, k], pads: [r, r, r, r], group: channels, bias: false }, v, { name: `s${n}patch`, frozen: true, init: { W: oneHotPatches } });
    // A window of 2·taps − 1 channels centred anywhere among the taps covers all of them.
    v = g.add(LRN, { size: 2 * taps - 1, alpha: 2 * taps - 1, beta: 0.5, bias: st.floor }, v, { name: `v${n}` });
    const init: Record<string, InitSpec> = learning === 'competitive' ? { W: unitRows, B: { kind: 'constant', value: -st.theta } } : { W: 'heUniform', B: 'zeros' };
    v = g.add(Conv, { outChannels: st.planes, kernelShape: [1, 1] }, v, { name: `s${n}`, init, ...(learning === 'competitive' ? { frozen: true } : {}) });
    v = g.add(Relu, {}, v, { name: `s${n}relu` });
    const [window, step] = st.pool ?? [3, 2];
    const p = Math.floor(window / 2);
    v = g.add(AveragePool, { kernelShape: [window, window], strides: [step, step], pads: [p, p, p, p] }, v, { name: `c${n}` });
    channels = st.planes;
  });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  g.output(g.add(Linear, { outFeatures: classes }, v, { name: 'scores' }));
  return g;
}

/**
 * The zoo neocognitron's competitive-learning phases, S1 then S2 then S3: images per phase, and
 * the learning selectivity θ_L, above the stages' θ (0.5, 0.4, 0.3) as in Fukushima (2003), so
 * that learning recruits every plane (on the bundled sample, θ_L = θ left 10 of 16 S1 planes and
 * 15 of 64 S3 planes unrecruited; docs/guides/neocognitron.md).
 */
export const NEOCOGNITRON_PHASES: readonly CompetitivePhase[] = Object.freeze([
  { layer: 's1', images: 3000, theta: 0.8 },
  { layer: 's2', images: 6000, theta: 0.7 },
  { layer: 's3', images: 6000, theta: 0.7 },
]);

/**
 * {@link NEOCOGNITRON_PHASES} for a training set of `trainSize` images: never more than a
 * quarter of the set per phase, so that at least a quarter of the first epoch is left for the
 * classifier.
 */
export function neocognitronPhases(trainSize: number): CompetitivePhase[] {
  const cap = Math.max(1, Math.floor(trainSize / 4));
  return NEOCOGNITRON_PHASES.map((p) => ({ ...p, images: Math.min(p.images, cap) }));
}

function checkStage(st: NeocognitronStage, n: number): void {
  const bad = (what: string) => new HubelError('attribute', `neocognitron: stage ${n}: ${what}`);
  if (!(Number.isInteger(st.planes) && st.planes >= 1)) throw bad(`planes must be a positive integer, found ${st.planes}`);
  if (!(Number.isInteger(st.size) && st.size >= 1 && st.size % 2 === 1)) throw bad(`size must be an odd positive integer, found ${st.size}`);
  if (!(st.theta >= 0 && st.theta < 1)) throw bad(`theta (the selectivity) must be in [0, 1), found ${st.theta}`);
  if (!(st.floor > 0 && Number.isFinite(st.floor))) throw bad(`floor (ε of the V cell) must be positive, found ${st.floor}`);
  if (st.pool !== undefined) {
    const [w, s] = st.pool;
    if (!(Number.isInteger(w) && w >= 1 && Number.isInteger(s) && s >= 1)) throw bad(`pool must be [window, step] of positive integers, found [${st.pool.join(', ')}]`);
  }
}

/** W of a `s{i}patch` Conv, [C·k², 1, k, k] with C groups: output channel c·k² + t copies tap t of map c. */
function oneHotPatches(shape: Shape): Float64Array {
  const [taps, , kh, kw] = shape;
  const w = new Float64Array(taps * kh * kw);
  for (let o = 0; o < taps; o++) w[o * kh * kw + (o % (kh * kw))] = 1;
  return w;
}

/**
 * W of the contrast layer `ug`, [2C, 1, k, k] with C groups: per input map an on-centre
 * difference of Gaussians (centre and surround each summing to 1, so flat regions give 0) and
 * its negative, the off-centre cell.
 */
function onOffCenter(shape: Shape, center: number, surround: number): Float64Array {
  const [outs, , k] = shape;
  const r = (k - 1) / 2;
  const gauss = (sigma: number) => {
    const g = Float64Array.from({ length: k * k }, (_, i) => Math.exp(-(((i % k) - r) ** 2 + (Math.floor(i / k) - r) ** 2) / (2 * sigma * sigma)));
    const sum = g.reduce((a, b) => a + b, 0);
    return g.map((x) => x / sum);
  };
  const c = gauss(center), s = gauss(surround);
  const w = new Float64Array(outs * k * k);
  for (let o = 0; o < outs; o++) for (let i = 0; i < k * k; i++) w[o * k * k + i] = (o % 2 === 0 ? 1 : -1) * (c[i] - s[i]);
  return w;
}

/** Random unit vectors, one per row of W [planes, taps, 1, 1] (Gaussian directions). */
function unitRows(shape: Shape, rng: Rng): Float64Array {
  const [rows] = shape;
  const d = shape.slice(1).reduce((a, b) => a * b, 1);
  const w = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += (w[r * d + i] = rng.normal()) ** 2;
    const norm = Math.sqrt(ss);
    for (let i = 0; i < d; i++) w[r * d + i] /= norm;
  }
  return w;
}

/** Where an S layer of a model sits: its nodes and sizes, as {@link findSLayer} found them. */
export interface SLayer {
  /** The S cells' node: Conv 1×1 with W [planes, C·k², 1, 1] and B [planes] (B = −θ). */
  readonly node: Node;
  /** The V cell's node (LRN): its output is x̂, the normalized patches [N, C·k², H, W]. */
  readonly v: Node;
  /** The connection-area node (one-hot Conv k×k, C groups): the patches [N, C·k², H, W]. */
  readonly patch: Node;
  /** Cell planes. */
  readonly planes: number;
  /** Maps of the layer below (C). */
  readonly channels: number;
  /** Side k of the connection area. */
  readonly size: number;
}

/**
 * The S layer whose S-cell node is `name`: a Conv 1×1 (group 1) fed by an LRN (the V cell)
 * fed by a connection-area Conv (k×k, one group per input map, C·k² outputs, no bias), as
 * {@link neocognitron} builds it. Throws naming the node and listing the model's S layers when
 * `name` is not a node or not such an S layer.
 */
export function findSLayer(model: Model, name: string, who = 'findSLayer'): SLayer {
  const list = () => sLayerNames(model).join(', ') || 'none';
  const node = model.nodes.find((n) => n.name === name);
  if (!node) throw new HubelError('graph', `${who}: no node named '${name}' in the model (its S layers: ${list()})`);
  const s = asSLayer(model, node);
  if (typeof s === 'string') throw new HubelError('attribute', `${who}: node '${name}' (${node.layer.type}) is not an S layer: ${s} (its S layers: ${list()})`);
  return s;
}

/** Names of the S-cell nodes of a model (see {@link findSLayer}), in graph order. */
export function sLayerNames(model: Model): string[] {
  return model.nodes.filter((n) => typeof asSLayer(model, n) !== 'string').map((n) => n.name);
}

function asSLayer(model: Model, node: Node): SLayer | string {
  const producer = (value: string) => model.nodes.find((n) => n.outputs.includes(value));
  if (node.layer !== Conv) return 'an S layer is a 1×1 Conv on the V cell\'s normalized patches';
  const a = node.attrs as { kernelShape: number[]; group: number; bias: boolean };
  if (a.kernelShape.length !== 2 || a.kernelShape.some((d) => d !== 1) || a.group !== 1 || !a.bias) return 'its Conv is not 1×1 with one group and a bias (the threshold)';
  const v = producer(node.inputs[0]);
  if (!v || v.layer !== LRN) return 'its input does not come from an LRN node (the V cell)';
  const patch = producer(v.inputs[0]);
  const pa = patch?.attrs as { kernelShape: number[]; group: number; bias: boolean; outChannels: number } | undefined;
  if (!patch || patch.layer !== Conv || !pa || pa.bias || pa.kernelShape.length !== 2 || pa.kernelShape[0] !== pa.kernelShape[1]) return 'its V cell is not fed by a square connection-area Conv without bias';
  const k = pa.kernelShape[0];
  const taps = pa.outChannels;
  if (taps !== pa.group * k * k) return `its connection-area Conv has ${taps} outputs, not ${pa.group}·${k}·${k} (one per tap of each input map)`;
  const la = v.attrs as { size: number };
  if (la.size < 2 * taps - 1) return `its V cell's LRN window (${la.size}) does not span all ${taps} taps`;
  return { node, v, patch, planes: node.params.W.shape[0], channels: pa.group, size: k };
}

/**
 * The weights of an S layer's cell planes as [planes, C, k, k] filters (the 1×1 Conv's rows
 * read back into the connection area's layout), for pictures: `filterGrid(values, shape)`.
 * Throws as {@link findSLayer}.
 */
export async function sPlaneWeights(model: Model, name: string): Promise<{ values: Float32Array; shape: [number, number, number, number] }> {
  const s = findSLayer(model, name, 'sPlaneWeights');
  return { values: Float32Array.from(await s.node.params.W.read()), shape: [s.planes, s.channels, s.size, s.size] };
}
