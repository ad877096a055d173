/**
 * A size×size Gaussian window, separable, applied to [H, W] planes with zero padding and the
 * weights renormalized over the part of the window inside the image: at (j, k) the weights are
 * g_p·g_q / (Zr_j·Zc_k) with Zr_j = Σ_{p: 0 ≤ j+p < H} g_p (Zc likewise), so they sum to 1 at
 * borders too. The in-image part of a square window is a rectangle, so the normalizer factors
 * into a row and a column term and the filter stays separable.
 *
 * The pooling package's window block (packages/backend-cpu/src/blocks/window.ts) did not exist
 * when this was written; this helper is the only windowed loop local contrast normalization needs.
 */
export class GaussianWindow {
  /** g_p for p = −r … r (unnormalized, peak 1). */
  readonly taps: Float64Array;
  readonly radius: number;
  /** 1/Zr_j and 1/Zc_k. */
  readonly #rowNorm: Float64Array;
  readonly #colNorm: Float64Array;
  readonly #tmp: Float64Array;
  readonly #scaled: Float64Array;

  constructor(
    size: number,
    sigma: number,
    readonly h: number,
    readonly w: number,
  ) {
    this.radius = (size - 1) / 2;
    this.taps = gaussianTaps(size, sigma);
    this.#rowNorm = inverseInImageSums(this.taps, h);
    this.#colNorm = inverseInImageSums(this.taps, w);
    this.#tmp = new Float64Array(h * w);
    this.#scaled = new Float64Array(h * w);
  }

  /** out = G(src): each position's renormalized Gaussian-weighted mean of one [H, W] plane. */
  mean(src: ArrayLike<number>, srcOffset: number, out: Float64Array): void {
    this.#filter(src, srcOffset, out);
    const { h, w } = this;
    for (let j = 0; j < h; j++) {
      const rn = this.#rowNorm[j];
      for (let k = 0; k < w; k++) out[j * w + k] *= rn * this.#colNorm[k];
    }
  }

  /**
   * out = Gᵀ(src), the adjoint of `mean` (for backward): with G = diag(1/Z)·K and K symmetric
   * (a symmetric window, zero padding), Gᵀ(t) = K(t / Z).
   */
  meanTransposed(src: ArrayLike<number>, srcOffset: number, out: Float64Array): void {
    const { h, w } = this;
    const scaled = this.#scaled;
    for (let j = 0; j < h; j++) {
      const rn = this.#rowNorm[j];
      for (let k = 0; k < w; k++) scaled[j * w + k] = src[srcOffset + j * w + k] * rn * this.#colNorm[k];
    }
    this.#filter(scaled, 0, out);
  }

  /** out = K(src): the plain zero-padded separable correlation, rows then columns. */
  #filter(src: ArrayLike<number>, srcOffset: number, out: Float64Array): void {
    const { h, w, radius: r, taps: g } = this;
    const tmp = this.#tmp;
    for (let j = 0; j < h; j++) {
      const row = srcOffset + j * w;
      for (let k = 0; k < w; k++) {
        const qlo = Math.max(-r, -k);
        const qhi = Math.min(r, w - 1 - k);
        let acc = 0;
        for (let q = qlo; q <= qhi; q++) acc += g[q + r] * src[row + k + q];
        tmp[j * w + k] = acc;
      }
    }
    for (let j = 0; j < h; j++) {
      const plo = Math.max(-r, -j);
      const phi = Math.min(r, h - 1 - j);
      const o = j * w;
      out.fill(0, o, o + w);
      for (let p = plo; p <= phi; p++) {
        const gp = g[p + r];
        const t = (j + p) * w;
        for (let k = 0; k < w; k++) out[o + k] += gp * tmp[t + k];
      }
    }
  }
}

/** exp(−p²/2σ²) for p = −r … r. */
export function gaussianTaps(size: number, sigma: number): Float64Array {
  const r = (size - 1) / 2;
  const g = new Float64Array(size);
  for (let p = -r; p <= r; p++) g[p + r] = Math.exp(-(p * p) / (2 * sigma * sigma));
  return g;
}

/** 1 / Σ_{p: 0 ≤ j+p < n} g_p for each j. */
function inverseInImageSums(g: Float64Array, n: number): Float64Array {
  const r = (g.length - 1) / 2;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let z = 0;
    for (let p = Math.max(-r, -j); p <= Math.min(r, n - 1 - j); p++) z += g[p + r];
    out[j] = 1 / z;
  }
  return out;
}
