// LocalContrastNorm on WebGPU, per sample, with G the renormalized Gaussian window (as on the
// CPU, see gaussian-window.ts): m = G(Σ_i x_i)/C, v_i = x_i − m, σ = √(G(Σ_i v_i²)/C),
// c = attr or mean(σ), d = max(c, σ), y_i = v_i/d. Channel sums and means use the reduce block,
// pointwise steps the elementwise block; G and its adjoint Gᵀ are the program below.
// Backward: dd = −Σ_i dy_i·v_i/d²; dσ = dd where σ > c, and c's share Σ_{σ≤c} dd spread as
// 1/(H·W) when c = mean(σ); dQ = Gᵀ(dσ/2σ); dv_i = dy_i/d + 2·v_i·dQ/C; dx_i = dv_i − Gᵀ(Σ_i dv_i)/C.
import { LINEAR_INDEX, grid, read, reducedAxisBroadcast, write, type Broadcast, type Program, type WebGpuBackend } from '@hubel/backend-webgpu';
import { defineKernel, type Shape, type Tensor } from '@hubel/core';
import { LocalContrastNorm } from './definition.js';

// G(t)[j, k] = Σ_{p,q in image} g_p·g_q·t[j+p, k+q] / (Zr_j·Zc_k), g_p = exp(−p²/2σ²) and
// Z the in-image tap sums; Gᵀ(t)[a, b] = Σ_{p,q} g_p·g_q·t[a−p, b−q] / (Zr_(a−p)·Zc_(b−q))
// (g is symmetric). One invocation per position of the [N, H, W] planes.
const GAUSS: Program = {
  name: 'localContrastNorm.gauss',
  key: 'localContrastNorm.gauss',
  uniforms: [['total', 'u32'], ['h', 'i32'], ['w', 'i32'], ['r', 'i32'], ['sigma', 'f32'], ['transposed', 'u32']],
  storage: [read('src'), write('dst')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
fn tap(p: i32) -> f32 { return exp(-f32(p * p) / (2.0 * u.sigma * u.sigma)); }
// 1 / Σ_{p: 0 ≤ j+p < n} g_p.
fn invZ(j: i32, n: i32) -> f32 {
  var z = 0.0;
  for (var p = max(-u.r, -j); p <= min(u.r, n - 1 - j); p++) { z += tap(p); }
  return 1.0 / z;
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.total) { return; }
  let hw = u32(u.h * u.w);
  let plane = (i / hw) * hw;
  let j = i32((i % hw) / u32(u.w));
  let k = i32(i % u32(u.w));
  var acc = 0.0;
  for (var p = -u.r; p <= u.r; p++) {
    let y = select(j + p, j - p, u.transposed == 1u);
    if (y < 0 || y >= u.h) { continue; }
    for (var q = -u.r; q <= u.r; q++) {
      let x = select(k + q, k - q, u.transposed == 1u);
      if (x < 0 || x >= u.w) { continue; }
      var t = tap(p) * tap(q) * src[plane + u32(y * u.w + x)];
      if (u.transposed == 1u) { t *= invZ(y, u.h) * invZ(x, u.w); }
      acc += t;
    }
  }
  if (u.transposed == 0u) { acc *= invZ(j, u.h) * invZ(k, u.w); }
  dst[i] = acc;
}
`,
};

function gauss(be: WebGpuBackend, t: Tensor, size: number, sigma: number, transposed: boolean): Tensor {
  const [, h, w] = t.shape;
  const out = be.alloc(t.shape);
  be.run(GAUSS, [t, out], [t.size, h, w, (size - 1) / 2, sigma, transposed ? 1 : 0], grid(t.size));
  return out;
}

/** Broadcasts of the [N, H, W] planes and the [N] per-sample floor over x [N, C, H, W]. */
function broadcasts(x: Shape): { plane: Broadcast; sample: Broadcast; samplePlane: Broadcast } {
  const hw = x[2] * x[3];
  return { plane: reducedAxisBroadcast(x, 1), sample: { div: x[1] * hw, mod: x[0] }, samplePlane: { div: hw, mod: x[0] } };
}

export const localContrastNormWebGpu = defineKernel(LocalContrastNorm, 'webgpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const { blocks } = backend;
    const c = x.shape[1];
    const bc = broadcasts(x.shape);
    const sum = blocks.reduce(x, { axes: [1] });
    const g = gauss(backend, sum, attrs.size, attrs.sigma, false);
    const mean = blocks.map({ name: 'localContrastNorm.mean', expr: 's0 * a', inputs: [g], scalars: [1 / c] });
    const v = blocks.map({ name: 'localContrastNorm.center', expr: 'a - b', inputs: [x, { t: mean, broadcast: bc.plane }] });
    const sq = blocks.reduce(v, { axes: [1], op: 'sumsq' });
    const gsq = gauss(backend, sq, attrs.size, attrs.sigma, false);
    // max(0, ·) guards against a rounding-negative variance where v ≈ 0.
    const sigma = blocks.map({ name: 'localContrastNorm.sigma', expr: 'sqrt(max(0.0, s0 * a))', inputs: [gsq], scalars: [1 / c] });
    const meanSigma = blocks.reduce(sigma, { axes: [1, 2], op: 'mean' });
    const fixed = attrs.c === undefined ? 0 : 1;
    const floor = blocks.map({ name: 'localContrastNorm.floor', expr: 'select(a, s0, s1 > 0.5)', inputs: [meanSigma], scalars: [attrs.c ?? 0, fixed] });
    const divisor = blocks.map({ name: 'localContrastNorm.divisor', expr: 'max(b, a)', inputs: [sigma, { t: floor, broadcast: bc.samplePlane }] });
    const y = blocks.map({ name: 'localContrastNorm.forward', expr: 'select(0.0, a / b, b > 0.0)', inputs: [v, { t: divisor, broadcast: bc.plane }] });
    for (const t of [sum, g, sq, gsq, meanSigma]) t.dispose();
    return { outputs: [y], saved: { mean, v, sigma, divisor, floor } };
  },

  backward({ backend, attrs, inputs: [x], saved, dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const { blocks } = backend;
    const [, c, h, w] = x.shape;
    const bc = broadcasts(x.shape);
    const { v, sigma, divisor, floor } = saved as Record<string, Tensor>;
    const planeOf = (t: Tensor) => ({ t, broadcast: bc.plane });
    // s = −Σ_i dy_i·v_i; dd = s/d² (0 where d = 0), split between σ (σ > c) and the floor c.
    const prod = blocks.map({ name: 'localContrastNorm.dyv', expr: '-a * b', inputs: [dy, v] });
    const s = blocks.reduce(prod, { axes: [1] });
    prod.dispose();
    const floorB = { t: floor, broadcast: bc.samplePlane };
    const toSigma = blocks.map({ name: 'localContrastNorm.dsigma', expr: 'select(0.0, select(0.0, a / (b * b), b > 0.0), c > d)', inputs: [s, divisor, sigma, floorB] });
    const toFloor = blocks.map({ name: 'localContrastNorm.dfloor', expr: 'select(select(0.0, a / (b * b), b > 0.0), 0.0, c > d)', inputs: [s, divisor, sigma, floorB] });
    s.dispose();
    const dFloor = blocks.reduce(toFloor, { axes: [1, 2] });
    toFloor.dispose();
    // c = mean(σ) passes its gradient evenly to every σ; σ = √var gives dvar = dσ/(2σ).
    const share = attrs.c === undefined ? 1 / (h * w) : 0;
    const dVar = blocks.map({
      name: 'localContrastNorm.dvar',
      expr: 'select(0.0, (a + s0 * c) / (2.0 * b), b > 0.0)',
      inputs: [toSigma, sigma, { t: dFloor, broadcast: bc.samplePlane }],
      scalars: [share],
    });
    toSigma.dispose();
    dFloor.dispose();
    const dQ = gauss(backend, dVar, attrs.size, attrs.sigma, true);
    dVar.dispose();
    const dv = blocks.map({
      name: 'localContrastNorm.dv',
      expr: 'select(0.0, a / b, b > 0.0) + 2.0 * s0 * c * d',
      inputs: [dy, planeOf(divisor), v, planeOf(dQ)],
      scalars: [1 / c],
    });
    dQ.dispose();
    const dvSum = blocks.reduce(dv, { axes: [1] });
    const dS = gauss(backend, dvSum, attrs.size, attrs.sigma, true);
    dvSum.dispose();
    const dx = blocks.map({ name: 'localContrastNorm.backward', expr: 'a - s0 * b', inputs: [dv, planeOf(dS)], scalars: [1 / c] });
    dv.dispose();
    dS.dispose();
    return { dInputs: [dx] };
  },
});
