/**
 * Streaming statistics of one layer output [N, C, ...]: axis 1 holds the units (channels of a
 * conv output, features of a dense one), the axes after it the positions. Every (image,
 * position) pair is one observation of the unit vector. Sums run in float64, shifted by an
 * early estimate of the mean so that variances and covariances do not cancel catastrophically.
 */
import { gemm } from '@hubel/backend-cpu';
import { HubelError, fmtShape, type Shape } from '@hubel/core';

/** A histogram of a layer's activations: exact zeros counted apart, the rest in equal bins. */
export interface ActivationHistogram {
  /** Lower edge of the first bin: the smallest value seen. */
  readonly lo: number;
  /** Upper edge of the last bin: the largest value seen. */
  readonly hi: number;
  /** Sampled non-zero values per bin (`bins` equal-width bins over [lo, hi]). */
  readonly counts: readonly number[];
  /** Values sampled, exact zeros included: `counts` sum to `sampled · (1 − zeros)` up to sampling. */
  readonly sampled: number;
  /** Fraction of all values (not only the sampled ones) that are exactly 0. */
  readonly zeros: number;
}

/** Statistics of one node output over the evaluated images (what {@link diagnoseModel} returns per layer). */
export interface LayerDiagnostics {
  /** The node that produced the value. */
  readonly node: string;
  /** The value's name (a node's first output is named after the node). */
  readonly value: string;
  /** The node's layer, as ONNX names it (`Relu`, `Conv`, `ai.hubel.Maxout`). */
  readonly op: string;
  /** Shape of one example's output, e.g. [C, H, W] or [F]. */
  readonly shape: readonly number[];
  /** Units: the size of axis 1 (channels or features). */
  readonly units: number;
  /** Images evaluated. */
  readonly images: number;
  /** Observations per unit: images × positions (H·W for a conv output, 1 for a dense one). */
  readonly observations: number;
  /** True when no value was negative (ReLU-like outputs, pooling or normalization of them, softmax). */
  readonly rectified: boolean;
  /**
   * Fraction of values that are not active (not > 0; NaN counts as not active). For a rectified
   * output this is exactly the fraction of zeros; for other outputs (a convolution before its
   * ReLU, logits) it is the fraction a following ReLU would zero.
   */
  readonly sparsity: number;
  /** Number of units never active (> 0) at any observation. */
  readonly deadUnits: number;
  /** Indices of the dead units. */
  readonly dead: readonly number[];
  /** Per unit: the fraction of its observations that are active (> 0). */
  readonly activeFraction: Float64Array;
  /**
   * Mean of |r| over the pairs i < j of `correlationUnits` whose units both vary (Pearson's r
   * over the observations); NaN when fewer than two units vary.
   */
  readonly meanAbsCorrelation: number;
  /** The units the correlation matrix covers: all, or evenly spaced ones when there are more than the limit. */
  readonly correlationUnits: readonly number[];
  /** Pearson's r between `correlationUnits` (K×K, row-major, symmetric); NaN in rows and columns of constant units. */
  readonly correlation: Float64Array;
  /** Units among `correlationUnits` that do not vary over the observations (dead or constant units); they have no correlation. */
  readonly constantUnits: number;
  /** Mean of all values. */
  readonly mean: number;
  /** Standard deviation of all values (population). */
  readonly std: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Histogram of the values. */
  readonly histogram: ActivationHistogram;
}

/** Limits of {@link UnitAccumulator}. */
export interface UnitAccumulatorOptions {
  /** Most units in the correlation matrix (evenly spaced when a layer has more); default 256. */
  readonly maxCorrelationUnits?: number;
  /** Histogram bins; default 40. */
  readonly histogramBins?: number;
  /** Values sampled for the histogram, at a fixed stride; default 50,000. */
  readonly histogramSamples?: number;
  /** Values expected in total (sets the sampling stride); default: take every value until the sample is full. */
  readonly expectedValues?: number;
}

/** Relative variance below which a unit counts as constant: far below float32 resolution. */
const CONSTANT_VARIANCE = 1e-12;

/**
 * Accumulates a layer output batch by batch (`add`), then summarizes it (`result`). Holds
 * O(units + K² + samples) numbers, whatever the number of images. Used by {@link diagnoseModel};
 * exported for tests and for callers holding activations on the host.
 */
export class UnitAccumulator {
  /** Units (axis 1). */
  readonly units: number;
  /** Positions per unit per image (product of the axes after 1). */
  readonly positions: number;
  readonly #k: number;
  readonly #corrUnits: Int32Array;
  readonly #shift: Float64Array;
  readonly #sums: Float64Array;
  readonly #cross: Float64Array;
  #buf = new Float64Array(0);
  readonly #active: Float64Array;
  readonly #sample: Float32Array;
  readonly #stride: number;
  readonly #bins: number;
  #sampled = 0;
  #nextSample = 0;
  #values = 0;
  #images = 0;
  #g = NaN;
  readonly #scan: ScanState = { active: 0, zeros: 0, negative: false, min: Infinity, max: -Infinity, sum: 0, sumSq: 0 };

  /** Throws for a shape with a zero or non-integer size, and for bad limits. */
  constructor(
    /** One example's output shape, units first: [C, H, W] for a conv output, [F] for a dense one. */
    readonly unitShape: Shape,
    o: UnitAccumulatorOptions = {},
  ) {
    if (unitShape.length < 1 || unitShape.some((d) => !(Number.isInteger(d) && d >= 1))) {
      throw new HubelError('shape', `unit statistics need an output of shape [N, units, ...] with positive sizes, found [N, ${unitShape.join(', ')}]`);
    }
    this.units = unitShape[0];
    this.positions = unitShape.slice(1).reduce((a, b) => a * b, 1);
    const maxK = o.maxCorrelationUnits ?? 256;
    if (!(Number.isInteger(maxK) && maxK >= 2)) throw new HubelError('attribute', `maxCorrelationUnits must be an integer ≥ 2, found ${maxK}`);
    this.#k = Math.min(this.units, maxK);
    this.#corrUnits = Int32Array.from({ length: this.#k }, (_, i) => Math.floor((i * this.units) / this.#k));
    this.#shift = new Float64Array(this.#k);
    this.#sums = new Float64Array(this.#k);
    this.#cross = new Float64Array(this.#k * this.#k);
    this.#active = new Float64Array(this.units);
    this.#bins = o.histogramBins ?? 40;
    if (!(Number.isInteger(this.#bins) && this.#bins >= 1)) throw new HubelError('attribute', `histogramBins must be a positive integer, found ${this.#bins}`);
    const samples = o.histogramSamples ?? 50_000;
    if (!(Number.isInteger(samples) && samples >= 1)) throw new HubelError('attribute', `histogramSamples must be a positive integer, found ${samples}`);
    this.#sample = new Float32Array(samples);
    this.#stride = o.expectedValues ? Math.max(1, Math.ceil(o.expectedValues / samples)) : 1;
  }

  /** Adds `n` examples laid out [n, ...unitShape] in `values` (read only). Throws when the size does not match. */
  add(values: ArrayLike<number>, n: number): void {
    const per = this.units * this.positions;
    if (!(Number.isInteger(n) && n >= 0) || values.length < n * per) {
      throw new HubelError('shape', `unit statistics: ${n} examples of ${fmtShape(this.unitShape)} need ${n * per} values, found ${values.length}`);
    }
    if (n === 0) return;
    const P = this.positions;
    const K = this.#k;
    if (this.#images === 0) this.#initShift(values, n);
    const g = this.#g;
    const st = this.#scan;
    const cols = n * P;
    if (this.#buf.length < K * cols) this.#buf = new Float64Array(K * cols);
    const buf = this.#buf;
    for (let b = 0; b < n; b++) {
      const base = b * per;
      scanValues(values, base, this.units, P, g, this.#active, st);
      // Histogram sample at a fixed stride through the stream of values.
      const end = this.#values + per;
      while (this.#nextSample < end && this.#sampled < this.#sample.length) {
        this.#sample[this.#sampled++] = values[base + this.#nextSample - this.#values];
        this.#nextSample += this.#stride;
      }
      this.#values = end;
      shiftedRows(values, base, P, this.#corrUnits, this.#shift, buf, cols, b * P, this.#sums);
    }
    // Co-moments of the correlation units: cross += rows · rowsᵀ over the batch's observations
    // (the backend's blocked GEMM, which accumulates in float64).
    gemm({ m: K, n: K, k: cols, a: buf, b: buf, c: this.#cross, transB: true, beta: 1 });
    this.#images += n;
  }

  /** Shifts: each correlation unit's mean over the first batch, and the first batch's overall mean. */
  #initShift(values: ArrayLike<number>, n: number): void {
    const P = this.positions;
    const per = this.units * P;
    let all = 0;
    for (let i = 0; i < n * per; i++) all += values[i];
    this.#g = Number.isFinite(all) ? all / (n * per) : 0;
    for (let i = 0; i < this.#k; i++) {
      let s = 0;
      for (let b = 0; b < n; b++) {
        const o = b * per + this.#corrUnits[i] * P;
        for (let p = 0; p < P; p++) s += values[o + p];
      }
      this.#shift[i] = Number.isFinite(s) ? s / (n * P) : 0;
    }
  }

  /** Images added so far. */
  get images(): number {
    return this.#images;
  }

  /** The statistics so far; `node`, `value` and `op` label the result. Throws when nothing was added. */
  result(label: { node: string; value: string; op: string }): LayerDiagnostics {
    if (this.#images === 0) throw new HubelError('attribute', `unit statistics of '${label.value}': no images were added`);
    const K = this.#k;
    const obs = this.#images * this.positions;
    const mean = this.#g + this.#scan.sum / this.#values;
    const variance = Math.max(0, this.#scan.sumSq / this.#values - (this.#scan.sum / this.#values) ** 2);
    const activeFraction = this.#active.map((a) => a / obs);
    const dead: number[] = [];
    for (let c = 0; c < this.units; c++) if (this.#active[c] === 0) dead.push(c);
    // r_ij = cov_ij / √(var_i var_j), from the shifted co-moments.
    const cov = (i: number, j: number) => this.#cross[i * K + j] / obs - (this.#sums[i] / obs) * (this.#sums[j] / obs);
    const varies = new Uint8Array(K);
    const sd = new Float64Array(K);
    for (let i = 0; i < K; i++) {
      const v = cov(i, i);
      const m = this.#shift[i] + this.#sums[i] / obs;
      const meanSq = v + m * m;
      varies[i] = v > CONSTANT_VARIANCE * meanSq && v > 0 ? 1 : 0;
      sd[i] = Math.sqrt(Math.max(v, 0));
    }
    const correlation = new Float64Array(K * K).fill(NaN);
    let absSum = 0;
    let pairs = 0;
    for (let i = 0; i < K; i++) {
      if (!varies[i]) continue;
      correlation[i * K + i] = 1;
      for (let j = i + 1; j < K; j++) {
        if (!varies[j]) continue;
        const r = Math.max(-1, Math.min(1, cov(i, j) / (sd[i] * sd[j])));
        correlation[i * K + j] = r;
        correlation[j * K + i] = r;
        absSum += Math.abs(r);
        pairs++;
      }
    }
    const constantUnits = K - varies.reduce((a, b) => a + b, 0);
    return {
      node: label.node,
      value: label.value,
      op: label.op,
      shape: [...this.unitShape],
      units: this.units,
      images: this.#images,
      observations: obs,
      rectified: !this.#scan.negative,
      sparsity: 1 - this.#scan.active / this.#values,
      deadUnits: dead.length,
      dead,
      activeFraction,
      meanAbsCorrelation: pairs ? absSum / pairs : NaN,
      correlationUnits: Array.from(this.#corrUnits),
      correlation,
      constantUnits,
      mean,
      std: Math.sqrt(variance),
      min: this.#scan.min,
      max: this.#scan.max,
      histogram: this.#histogram(),
    };
  }

  #histogram(): ActivationHistogram {
    const counts = new Array<number>(this.#bins).fill(0);
    const lo = this.#scan.min;
    const hi = this.#scan.max;
    const width = (hi - lo) / this.#bins;
    for (let i = 0; i < this.#sampled; i++) {
      const v = this.#sample[i];
      if (v === 0 || !Number.isFinite(v)) continue;
      const b = width > 0 ? Math.min(this.#bins - 1, Math.floor((v - lo) / width)) : 0;
      counts[b]++;
    }
    return { lo, hi, counts, sampled: this.#sampled, zeros: this.#scan.zeros / this.#values };
  }
}

/** Running totals over every value of a layer output (see {@link scanValues}). */
interface ScanState {
  active: number;
  zeros: number;
  negative: boolean;
  min: number;
  max: number;
  sum: number;
  sumSq: number;
}

// The hot loops are small module functions: V8 optimizes them on their own, and keeps their
// accumulators in registers (fields of a class are reloaded every iteration).

/** One image's values [units, P] at `base`: activity per unit, zeros, sign, range, shifted sums. */
function scanValues(values: ArrayLike<number>, base: number, units: number, P: number, g: number, active: Float64Array, st: ScanState): void {
  let zeros = 0;
  let total = 0;
  let negative = false;
  let lo = st.min;
  let hi = st.max;
  let sum = 0;
  let sumSq = 0;
  for (let c = 0; c < units; c++) {
    const o = base + c * P;
    let act = 0;
    for (let p = 0; p < P; p++) {
      const v = values[o + p];
      if (v > 0) act++;
      else if (v === 0) zeros++;
      else if (v < 0) negative = true;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const d = v - g;
      sum += d;
      sumSq += d * d;
    }
    active[c] += act;
    total += act;
  }
  st.active += total;
  st.zeros += zeros;
  st.negative ||= negative;
  st.min = lo;
  st.max = hi;
  st.sum += sum;
  st.sumSq += sumSq;
}

/**
 * Copies one image's rows of `units` (each P long, at `base`) minus their shifts into columns
 * `col … col + P` of `buf` (K rows of `ld`), adding each row's sum to `sums`.
 */
function shiftedRows(values: ArrayLike<number>, base: number, P: number, units: Int32Array, shift: Float64Array, buf: Float64Array, ld: number, col: number, sums: Float64Array): void {
  for (let i = 0; i < units.length; i++) {
    const o = base + units[i] * P;
    const s = shift[i];
    const oi = i * ld + col;
    let acc = 0;
    for (let p = 0; p < P; p++) {
      const d = values[o + p] - s;
      buf[oi + p] = d;
      acc += d;
    }
    sums[i] += acc;
  }
}
