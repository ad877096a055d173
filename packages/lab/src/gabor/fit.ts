/**
 * Least-squares Gabor fits of small filters (how Gabor-like are learned first-layer filters?):
 *   g(x, y) = A · exp(−(x'² + γ²·y'²) / (2σ²)) · cos(2π·x'/λ + ψ),
 *   x' = (x − x0)·cos θ + (y − y0)·sin θ,   y' = −(x − x0)·sin θ + (y − y0)·cos θ,
 * x along columns, y along rows (down), from the kernel centre: the convention of
 * @hubel/layers-conv's gaborValue (written again here: the lab does not depend on layer
 * packages). Start: a grid over θ, λ and σ with the envelope at the filter's energy centroid,
 * where the best ψ and A come from a two-term linear least squares (a·cos + b·sin carrier,
 * as good as an infinitely fine ψ grid). Then Levenberg–Marquardt on all eight parameters from
 * the best few starts, with σ, λ, γ as logarithms so they stay positive.
 */
import { HubelError } from '@hubel/core';

/** The eight parameters of a fitted Gabor (pixels and radians; x0, y0 from the kernel centre). */
export interface GaborFitParams {
  /** Centre, along x (columns, right), pixels from the kernel centre. */
  readonly x0: number;
  /** Centre, along y (rows, down), pixels from the kernel centre. */
  readonly y0: number;
  /** Direction of the wave vector in [0, π), from x toward y (clockwise on screen). */
  readonly theta: number;
  /** Wavelength λ, pixels per cycle. */
  readonly wavelength: number;
  /** Envelope σ along the wave vector, pixels. */
  readonly sigma: number;
  /** Aspect ratio γ: the envelope's σ along the stripes is σ/γ. */
  readonly gamma: number;
  /** Phase ψ in [0, 2π). */
  readonly phase: number;
  /** Amplitude A ≥ 0, in the filter's units. */
  readonly amplitude: number;
}

/** The Gabor with parameters `p` sampled on an h×w grid (row-major), centred as the kernel is. */
export function gaborSamples(p: GaborFitParams, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  evaluate(toVector(p), h, w, out);
  return out;
}

/** Options of {@link fitGabor}. */
export interface GaborFitOptions {
  /** Orientations of the start grid, k·π/n; default 12 (15° apart). */
  readonly orientations?: number;
  /** Wavelengths of the start grid, pixels; default 8 values geometric from 2 to 2·max(h, w). */
  readonly wavelengths?: readonly number[];
  /** Envelope σ of the start grid, pixels; default max(h, w)·(0.1, 0.2, 0.4). */
  readonly sigmas?: readonly number[];
  /** How many of the best grid points Levenberg–Marquardt refines; default 4. */
  readonly starts?: number;
  /** Iteration limit of each refinement; default 200. */
  readonly maxIterations?: number;
}

/** What {@link fitGabor} returns. */
export interface GaborFit {
  /** The best parameters found (θ in [0, π), ψ in [0, 2π), A ≥ 0). */
  readonly params: GaborFitParams;
  /**
   * Explained variance R² = 1 − Σ(f − g)² / Σ(f − mean f)²: 1 for a perfect fit, ≤ 0 for a fit
   * no better than the filter's mean. 0 for a constant filter (nothing to explain).
   */
  readonly r2: number;
  /** The fitted Gabor on the filter's grid (h·w values). */
  readonly fitted: Float64Array;
  /** Levenberg–Marquardt iterations of the winning start. */
  readonly iterations: number;
}

// Parameter vector: [x0, y0, θ, ln λ, ln σ, ln γ, ψ, A].
const NP = 8;

function toVector(p: GaborFitParams): Float64Array {
  return Float64Array.from([p.x0, p.y0, p.theta, Math.log(p.wavelength), Math.log(p.sigma), Math.log(p.gamma), p.phase, p.amplitude]);
}

function evaluate(q: ArrayLike<number>, h: number, w: number, out: Float64Array): void {
  const c = Math.cos(q[2]);
  const s = Math.sin(q[2]);
  const k = (2 * Math.PI) / Math.exp(q[3]);
  const inv2s2 = 1 / (2 * Math.exp(2 * q[4]));
  const g2 = Math.exp(2 * q[5]);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let r = 0; r < h; r++) {
    const dy = r - cy - q[1];
    for (let col = 0; col < w; col++) {
      const dx = col - cx - q[0];
      const xr = dx * c + dy * s;
      const yr = -dx * s + dy * c;
      out[r * w + col] = q[7] * Math.exp(-(xr * xr + g2 * yr * yr) * inv2s2) * Math.cos(k * xr + q[6]);
    }
  }
}

/** Box limits keeping the search where a Gabor on this grid means something (projected LM). */
function limits(h: number, w: number): { lo: Float64Array; hi: Float64Array } {
  const size = Math.max(h, w);
  const lo = Float64Array.from([-size, -size, -Infinity, Math.log(2), Math.log(0.3), Math.log(0.1), -Infinity, -Infinity]);
  const hi = Float64Array.from([size, size, Infinity, Math.log(4 * size), Math.log(2 * size), Math.log(10), Infinity, Infinity]);
  return { lo, hi };
}

function sse(a: Float64Array, f: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - f[i]) ** 2;
  return s;
}

/** Solves the small symmetric system A·x = b (n×n, row-major) by Gaussian elimination with partial pivoting. */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  const m = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[piv * n + col])) piv = r;
    if (!(Math.abs(m[piv * n + col]) > 1e-300)) return undefined;
    if (piv !== col) {
      for (let k = 0; k < n; k++) [m[col * n + k], m[piv * n + k]] = [m[piv * n + k], m[col * n + k]];
      [x[col], x[piv]] = [x[piv], x[col]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col] / m[col * n + col];
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k] -= f * m[col * n + k];
      x[r] -= f * x[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < n; k++) s -= m[r * n + k] * x[k];
    x[r] = s / m[r * n + r];
  }
  return x;
}

/**
 * Levenberg–Marquardt from q: the Jacobian by central differences (A's column exactly: the
 * model is linear in A), damping μ·diag(JᵀJ) (Marquardt's scaling, so the step is invariant to
 * each parameter's units), μ ÷3 on success and ×4 on failure. Stops when a step gains less
 * than 1e-12 of the cost, μ exceeds 1e12, or after `maxIterations`.
 */
function refine(q0: Float64Array, f: ArrayLike<number>, h: number, w: number, maxIterations: number): { q: Float64Array; cost: number; iterations: number } {
  const n = h * w;
  const { lo, hi } = limits(h, w);
  const project = (q: Float64Array) => {
    for (let j = 0; j < NP; j++) q[j] = Math.min(hi[j], Math.max(lo[j], q[j]));
    return q;
  };
  let q = project(Float64Array.from(q0));
  const model = new Float64Array(n);
  evaluate(q, h, w, model);
  let cost = sse(model, f);
  const J = new Float64Array(n * NP);
  const plus = new Float64Array(n);
  const minus = new Float64Array(n);
  const JtJ = new Float64Array(NP * NP);
  const Jtr = new Float64Array(NP);
  let mu = 1e-3;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    for (let j = 0; j < NP; j++) {
      if (j === 7) {
        // ∂g/∂A = g/A; evaluate with A = 1 so A = 0 is no special case.
        const unit = Float64Array.from(q);
        unit[7] = 1;
        evaluate(unit, h, w, plus);
        for (let i = 0; i < n; i++) J[i * NP + j] = plus[i];
        continue;
      }
      const step = 1e-6 * Math.max(1, Math.abs(q[j]));
      const qp = Float64Array.from(q);
      const qm = Float64Array.from(q);
      qp[j] += step;
      qm[j] -= step;
      evaluate(qp, h, w, plus);
      evaluate(qm, h, w, minus);
      for (let i = 0; i < n; i++) J[i * NP + j] = (plus[i] - minus[i]) / (2 * step);
    }
    JtJ.fill(0);
    Jtr.fill(0);
    for (let i = 0; i < n; i++) {
      const r = model[i] - f[i];
      for (let a = 0; a < NP; a++) {
        const ja = J[i * NP + a];
        Jtr[a] += ja * r;
        for (let b = a; b < NP; b++) JtJ[a * NP + b] += ja * J[i * NP + b];
      }
    }
    for (let a = 0; a < NP; a++) for (let b = 0; b < a; b++) JtJ[a * NP + b] = JtJ[b * NP + a];
    let improved = false;
    while (mu < 1e12) {
      const M = Float64Array.from(JtJ);
      // Marquardt's diagonal scaling, floored so a parameter the data ignore still gets damped.
      for (let a = 0; a < NP; a++) M[a * NP + a] += mu * Math.max(JtJ[a * NP + a], 1e-12);
      const delta = solve(M, Jtr.map((v) => -v), NP);
      if (delta) {
        const trial = project(q.map((v, j) => v + delta[j]));
        const trialModel = new Float64Array(n);
        evaluate(trial, h, w, trialModel);
        const trialCost = sse(trialModel, f);
        if (trialCost < cost) {
          const gain = cost - trialCost;
          q = trial;
          model.set(trialModel);
          cost = trialCost;
          mu = Math.max(mu / 3, 1e-12);
          improved = gain > 1e-12 * Math.max(cost, 1e-300);
          break;
        }
      }
      mu *= 4;
    }
    if (!improved) break;
  }
  return { q, cost, iterations };
}

/** θ into [0, π), ψ into [0, 2π), A ≥ 0: the same function, one name for it. */
function canonical(q: Float64Array): GaborFitParams {
  let theta = q[2];
  let phase = q[6];
  let amplitude = q[7];
  if (amplitude < 0) {
    amplitude = -amplitude;
    phase += Math.PI;
  }
  theta = ((theta % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  if (theta >= Math.PI) {
    // θ + π flips x' and y': cos(−k·x' + ψ) = cos(k·x' − ψ), the envelope is even.
    theta -= Math.PI;
    phase = -phase;
  }
  phase = ((phase % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  return { x0: q[0], y0: q[1], theta, wavelength: Math.exp(q[3]), sigma: Math.exp(q[4]), gamma: Math.exp(q[5]), phase, amplitude };
}

/**
 * Fits the Gabor that best explains an h×w filter (row-major values) in the least-squares
 * sense, and its explained variance. Deterministic. Throws HubelError on too few values or a
 * filter smaller than 3×3 (fewer than 9 values for 8 parameters).
 */
export function fitGabor(filter: ArrayLike<number>, h: number, w: number, o: GaborFitOptions = {}): GaborFit {
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 3 && w >= 3)) throw new HubelError('shape', `fitGabor: needs a filter of at least 3×3 (8 parameters), found ${h}×${w}`);
  const n = h * w;
  if (filter.length < n) throw new HubelError('shape', `fitGabor: a ${h}×${w} filter needs ${n} values, found ${filter.length}`);
  const f = Float64Array.from({ length: n }, (_, i) => filter[i]);
  if (!f.every(Number.isFinite)) throw new HubelError('attribute', 'fitGabor: the filter has non-finite values');
  let mean = 0;
  for (const v of f) mean += v;
  mean /= n;
  let sst = 0;
  let energy = 0;
  for (const v of f) {
    sst += (v - mean) ** 2;
    energy += v * v;
  }
  const size = Math.max(h, w);
  if (!(sst > 0)) {
    return { params: { x0: 0, y0: 0, theta: 0, wavelength: 2 * size, sigma: size / 4, gamma: 1, phase: 0, amplitude: 0 }, r2: 0, fitted: new Float64Array(n), iterations: 0 };
  }

  // Start centre: the energy centroid, with the kernel centre as the origin.
  let x0 = 0;
  let y0 = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const e = f[r * w + c] ** 2;
      x0 += e * (c - (w - 1) / 2);
      y0 += e * (r - (h - 1) / 2);
    }
  }
  x0 /= energy;
  y0 /= energy;

  const nO = o.orientations ?? 12;
  const wavelengths = o.wavelengths ?? Array.from({ length: 8 }, (_, i) => 2 * size ** (i / 7));
  const sigmas = o.sigmas ?? [0.1, 0.2, 0.4].map((k) => Math.max(0.5, k * size));
  const starts: { q: Float64Array; cost: number }[] = [];
  const cosB = new Float64Array(n);
  const sinB = new Float64Array(n);
  for (let t = 0; t < nO; t++) {
    const theta = (t * Math.PI) / nO;
    for (const lambda of wavelengths) {
      for (const sigma of sigmas) {
        // For fixed θ, λ, σ (γ = 1) the model A·env·cos(k·x' + ψ) = a·env·cos(k·x') + b·env·sin(k·x'),
        // with a = A·cos ψ and b = −A·sin ψ, is linear in (a, b): solve the 2×2 normal equations.
        evaluate([x0, y0, theta, Math.log(lambda), Math.log(sigma), 0, 0, 1], h, w, cosB);
        evaluate([x0, y0, theta, Math.log(lambda), Math.log(sigma), 0, -Math.PI / 2, 1], h, w, sinB); // cos(u − π/2) = sin u
        let cc = 0, ss = 0, cs = 0, fc = 0, fs = 0;
        for (let i = 0; i < n; i++) {
          cc += cosB[i] * cosB[i];
          ss += sinB[i] * sinB[i];
          cs += cosB[i] * sinB[i];
          fc += f[i] * cosB[i];
          fs += f[i] * sinB[i];
        }
        const det = cc * ss - cs * cs;
        if (!(det > 1e-12 * cc * ss)) continue; // carrier too coarse for the envelope: cos and sin parts coincide
        const a = (fc * ss - fs * cs) / det;
        const b = (fs * cc - fc * cs) / det;
        const cost = energy - (a * fc + b * fs);
        starts.push({ q: Float64Array.from([x0, y0, theta, Math.log(lambda), Math.log(sigma), 0, Math.atan2(-b, a), Math.hypot(a, b)]), cost });
      }
    }
  }
  starts.sort((p, q) => p.cost - q.cost);
  const maxIterations = o.maxIterations ?? 200;
  let best: { q: Float64Array; cost: number; iterations: number } | undefined;
  for (const s of starts.slice(0, o.starts ?? 4)) {
    const r = refine(s.q, f, h, w, maxIterations);
    if (!best || r.cost < best.cost) best = r;
  }
  if (!best) throw new HubelError('attribute', `fitGabor: no start on the grid fits a ${h}×${w} filter (check the grid options)`);
  const params = canonical(best.q);
  const fitted = gaborSamples(params, h, w);
  return { params, r2: 1 - sse(fitted, f) / sst, fitted, iterations: best.iterations };
}

/** Quartiles and extremes of a list of R² values. */
export interface R2Summary {
  /** How many values. */
  readonly count: number;
  /** Smallest value. */
  readonly min: number;
  /** First quartile (25th percentile, linear interpolation between order statistics). */
  readonly q1: number;
  /** Median. */
  readonly median: number;
  /** Third quartile (75th percentile). */
  readonly q3: number;
  /** Largest value. */
  readonly max: number;
  /** Arithmetic mean. */
  readonly mean: number;
  /** Fraction of values above 0.5, 0.8 and 0.9. */
  readonly above: { readonly '0.5': number; readonly '0.8': number; readonly '0.9': number };
}

/** Summary of R² values (percentiles by linear interpolation, as numpy's default). Throws on an empty list. */
export function summarizeR2(values: readonly number[]): R2Summary {
  if (!values.length) throw new HubelError('shape', 'summarizeR2: no values');
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) => {
    const x = p * (v.length - 1);
    const i = Math.floor(x);
    return i + 1 < v.length ? v[i] + (x - i) * (v[i + 1] - v[i]) : v[i];
  };
  const frac = (t: number) => v.filter((x) => x > t).length / v.length;
  return { count: v.length, min: v[0], q1: at(0.25), median: at(0.5), q3: at(0.75), max: v[v.length - 1], mean: v.reduce((s, x) => s + x, 0) / v.length, above: { '0.5': frac(0.5), '0.8': frac(0.8), '0.9': frac(0.9) } };
}
