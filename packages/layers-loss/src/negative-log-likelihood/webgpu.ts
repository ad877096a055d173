// Negative log-likelihood on WebGPU over X viewed as [N, C, inner]. One invocation per position
// k writes ℓ_k = −x_label and its weight w_k (W[label] or 1; 0 where ignored); ../class-weights
// reduces w·ℓ and gives the seeds s_k. Backward, one invocation per element:
// ∂C/∂x_c = −s_k·w_k·[c = label]. A label outside [0, C) yields a NaN loss (the CPU kernel throws).
import type { Program } from '@hubel/backend-webgpu';
import { LINEAR_INDEX, grid, read, write } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { SCREEN_LABEL_WGSL, classWeightGradGpu, positionSeedsGpu, reduceLossGpu } from '../class-weights/webgpu.js';
import { NegativeLogLikelihoodLoss } from './definition.js';

const FORWARD: Program = {
  name: 'negativeLogLikelihood.forward',
  key: 'negativeLogLikelihood.forward',
  uniforms: [['positions', 'u32'], ['classes', 'u32'], ['inner', 'u32'], ['hasIgnore', 'u32'], ['ignore', 'i32'], ['hasWeights', 'u32'], ['nan', 'f32']],
  storage: [read('x'), read('labels', 'i32'), read('weights'), write('plain'), write('wk')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = linearIndex(gid, nwg);
  if (k >= u.positions) { return; }
${SCREEN_LABEL_WGSL}  plain[k] = -x[((k / u.inner) * u.classes + u32(label)) * u.inner + k % u.inner];
  wk[k] = select(1.0, weights[u32(label)], u.hasWeights == 1u);
}
`,
};

const BACKWARD: Program = {
  name: 'negativeLogLikelihood.backward',
  key: 'negativeLogLikelihood.backward',
  uniforms: [['size', 'u32'], ['classes', 'u32'], ['inner', 'u32']],
  storage: [read('labels', 'i32'), read('coef'), write('dx')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = linearIndex(gid, nwg);
  if (j >= u.size) { return; }
  let c = (j / u.inner) % u.classes;
  let k = (j / (u.inner * u.classes)) * u.inner + j % u.inner;
  dx[j] = select(0.0, -coef[k], i32(c) == labels[k]);
}
`,
};

export const negativeLogLikelihoodWebGpu = defineKernel(NegativeLogLikelihoodLoss, 'webgpu', {
  forward({ backend, attrs: { ignoreIndex, reduction }, inputs: [x, t, W] }) {
    const classes = x.shape[1];
    const positions = t.size;
    const plain = backend.alloc([positions]);
    const wk = backend.alloc([positions]);
    const uniforms = [positions, classes, x.size / (x.shape[0] * classes), ignoreIndex === undefined ? 0 : 1, ignoreIndex ?? 0, W ? 1 : 0, NaN];
    // Without W, x stands in for the unread weights binding.
    backend.run(FORWARD, [x, t, W ?? x, plain, wk], uniforms, grid(positions));
    const { y, denom } = reduceLossGpu(backend, plain, wk, reduction, t.shape);
    return { outputs: [y], saved: { plain, wk, denom } };
  },
  backward({ backend, attrs: { ignoreIndex, reduction }, inputs: [x, t, W], outputs: [y], saved, dOutputs: [dC], wants }) {
    const classes = x.shape[1];
    const seeds = positionSeedsGpu(backend, dC, reduction, saved.denom, t.size);
    let dx;
    if (wants.inputs[0]) {
      const coef = backend.blocks.map({ name: 'negativeLogLikelihood.coef', expr: 'a * b', inputs: [seeds, saved.wk] });
      dx = backend.alloc(x.shape);
      backend.run(BACKWARD, [t, coef, dx], [x.size, classes, x.size / (x.shape[0] * classes)], grid(x.size));
      coef.dispose();
    }
    const dW = W && wants.inputs[2] ? classWeightGradGpu(backend, { labels: t, ignoreIndex, plain: saved.plain, seeds, reduction, y, classes }) : undefined;
    seeds.dispose();
    return { dInputs: [dx, undefined, dW] };
  },
});
