// Softmax cross-entropy on WebGPU, fused, over scores viewed as [N, C, inner]. One invocation
// per position k writes log p = x − m − log Σ_c e^{x_c − m} (m = max_c x_c), the unweighted
//   ℓ_k = −(1 − ε)·log p_label − (ε/C)·Σ_c log p_c
// and its weight w_k (W[label] or 1; 0 where ignored); ../class-weights reduces w·ℓ and gives
// the seeds s_k. Backward, one invocation per score: ∂C/∂x_c = s_k·w_k·(p_c − ε/C − (1 − ε)[c = label]).
// log p is also the second output log_prob; its gradient g adds g_c − p_c·Σ_c' g_c' to ∂C/∂x_c
// (a reduction over the class axis, then one more pass). Labels are not read back to the host:
// a label outside [0, C) yields a NaN loss (the CPU kernel throws), which the trainer's NaN guard reports.
import type { Program } from '@hubel/backend-webgpu';
import { LINEAR_INDEX, grid, read, write } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { SCREEN_LABEL_WGSL, classWeightGradGpu, positionSeedsGpu, reduceLossGpu } from '../class-weights/webgpu.js';
import { SoftmaxCrossEntropy } from './definition.js';

const FORWARD: Program = {
  name: 'softmaxCrossEntropy.forward',
  key: 'softmaxCrossEntropy.forward',
  uniforms: [['positions', 'u32'], ['classes', 'u32'], ['inner', 'u32'], ['hasIgnore', 'u32'], ['ignore', 'i32'], ['eps', 'f32'], ['hasWeights', 'u32'], ['nan', 'f32']],
  storage: [read('x'), read('labels', 'i32'), read('weights'), write('lp'), write('plain'), write('wk')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = linearIndex(gid, nwg);
  if (k >= u.positions) { return; }
  let base = (k / u.inner) * u.classes * u.inner + k % u.inner;
  var m = -3.402823e38;
  for (var c = 0u; c < u.classes; c++) { m = max(m, x[base + c * u.inner]); }
  var s = 0.0;
  for (var c = 0u; c < u.classes; c++) { s += exp(x[base + c * u.inner] - m); }
  let shift = m + log(s);
  var all = 0.0;
  for (var c = 0u; c < u.classes; c++) {
    let v = x[base + c * u.inner] - shift;
    lp[base + c * u.inner] = v;
    all += v;
  }
${SCREEN_LABEL_WGSL}  plain[k] = -(1.0 - u.eps) * lp[base + u32(label) * u.inner] - (u.eps / f32(u.classes)) * all;
  wk[k] = select(1.0, weights[u32(label)], u.hasWeights == 1u);
}
`,
};

const BACKWARD: Program = {
  name: 'softmaxCrossEntropy.backward',
  key: 'softmaxCrossEntropy.backward',
  uniforms: [['size', 'u32'], ['classes', 'u32'], ['inner', 'u32'], ['eps', 'f32']],
  storage: [read('lp'), read('labels', 'i32'), read('coef'), write('dx')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = linearIndex(gid, nwg);
  if (j >= u.size) { return; }
  let i = j % u.inner;
  let c = (j / u.inner) % u.classes;
  let k = (j / (u.inner * u.classes)) * u.inner + i;
  let hit = select(0.0, 1.0 - u.eps, i32(c) == labels[k]);
  dx[j] = coef[k] * (exp(lp[j]) - u.eps / f32(u.classes) - hit);
}
`,
};

// dx += g − exp(lp)·Σ_c g over the class axis; the sum comes in reduced ([N, 1, inner]) and is
// read at position k, like the forward's per-position values.
const LOG_PROB_BACKWARD: Program = {
  name: 'softmaxCrossEntropy.logProbBackward',
  key: 'softmaxCrossEntropy.logProbBackward',
  uniforms: [['size', 'u32'], ['classes', 'u32'], ['inner', 'u32']],
  storage: [read('lp'), read('g'), read('total'), read('dxIn'), write('dx')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = linearIndex(gid, nwg);
  if (j >= u.size) { return; }
  let k = (j / (u.inner * u.classes)) * u.inner + j % u.inner;
  dx[j] = dxIn[j] + g[j] - exp(lp[j]) * total[k];
}
`,
};

export const softmaxCrossEntropyWebGpu = defineKernel(SoftmaxCrossEntropy, 'webgpu', {
  forward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t, W], outputsWanted }) {
    const classes = x.shape[1];
    const positions = t.size;
    const lp = backend.alloc(x.shape);
    const plain = backend.alloc([positions]);
    const wk = backend.alloc([positions]);
    const uniforms = [positions, classes, x.size / (x.shape[0] * classes), ignoreIndex === undefined ? 0 : 1, ignoreIndex ?? 0, eps, W ? 1 : 0, NaN];
    // Without W, x stands in for the unread weights binding.
    backend.run(FORWARD, [x, t, W ?? x, lp, plain, wk], uniforms, grid(positions));
    const { y, denom } = reduceLossGpu(backend, plain, wk, reduction, t.shape);
    // log_prob is lp itself (saved may reference an output); backward reads its gradient only when bound.
    return { outputs: [y, lp], saved: { lp, plain, wk, denom, logProbBound: outputsWanted?.[1] !== false } };
  },
  backward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t, W], outputs: [y], saved, dOutputs: [dC, dLp], wants }) {
    const classes = x.shape[1];
    const seeds = positionSeedsGpu(backend, dC, reduction, saved.denom, t.size);
    let dx;
    if (wants.inputs[0]) {
      const coef = backend.blocks.map({ name: 'softmaxCrossEntropy.coef', expr: 'a * b', inputs: [seeds, saved.wk] });
      dx = backend.alloc(x.shape);
      const inner = x.size / (x.shape[0] * classes);
      backend.run(BACKWARD, [saved.lp, t, coef, dx], [x.size, classes, inner, eps], grid(x.size));
      coef.dispose();
      if (saved.logProbBound) {
        const total = backend.blocks.sum(dLp, { axes: [1] });
        const withLp = backend.alloc(x.shape);
        backend.run(LOG_PROB_BACKWARD, [saved.lp, dLp, total, dx, withLp], [x.size, classes, inner], grid(x.size));
        total.dispose();
        dx.dispose();
        dx = withLp;
      }
    }
    const dW = W && wants.inputs[2] ? classWeightGradGpu(backend, { labels: t, ignoreIndex, plain: saved.plain, seeds, reduction, y, classes }) : undefined;
    seeds.dispose();
    return { dInputs: [dx, undefined, dW] };
  },
});
