/**
 * out[n, c, s] = Σ_{i = max(0, c−r)}^{min(C−1, c+r)} v(src[n, i, s]) for src viewed as [N, C, S],
 * with v(x) = x² when `squared`, else x: a window sliding across channels, kept as a float64 running
 * sum per spatial position (add the plane entering the window, subtract the one leaving it).
 * `acc` is scratch of length ≥ S.
 */
export function channelWindowSum(
  src: ArrayLike<number>,
  out: { [i: number]: number },
  n: number,
  c: number,
  s: number,
  r: number,
  squared: boolean,
  acc: Float64Array,
): void {
  for (let b = 0; b < n; b++) {
    const base = b * c * s;
    acc.fill(0, 0, s);
    for (let i = 0; i <= Math.min(r, c - 1); i++) addPlane(src, base + i * s, s, acc, 1, squared);
    for (let ch = 0; ch < c; ch++) {
      const o = base + ch * s;
      for (let j = 0; j < s; j++) out[o + j] = acc[j];
      if (ch + r + 1 < c) addPlane(src, base + (ch + r + 1) * s, s, acc, 1, squared);
      if (ch - r >= 0) addPlane(src, base + (ch - r) * s, s, acc, -1, squared);
    }
  }
}

function addPlane(src: ArrayLike<number>, offset: number, s: number, acc: Float64Array, sign: 1 | -1, squared: boolean): void {
  if (squared) {
    for (let j = 0; j < s; j++) {
      const v = src[offset + j];
      acc[j] += sign * v * v;
    }
  } else {
    for (let j = 0; j < s; j++) acc[j] += sign * src[offset + j];
  }
}
