// Softmax cross-entropy on WebGPU, fused, over scores viewed as [N, C, inner]. One invocation
// per position k computes, with m = max_c x_c and s = Σ_c e^{x_c − m},
//   ℓ_k = log s + (1 − ε)(m − x_label) + (ε/C)·Σ_c (m − x_c)   (0 where the label is ignored)
// and writes p = softmax(x); the reduce block sums ℓ and the labelled count; C = Σℓ / count
// ('mean', 0 when nothing is labelled) or Σℓ. Backward, one invocation per score:
// ∂C/∂x_c = dC·k·(p_c − ε/C − (1 − ε)[c = label]), k = 1/count or 1, 0 at ignored positions.
// Labels are not read back to the host: a label outside [0, C) yields a NaN loss (the CPU
// kernel throws), which the trainer's NaN guard reports.
import type { Program } from '@hubel/backend-webgpu';
import { LINEAR_INDEX, grid, read, write } from '@hubel/backend-webgpu';
import { defineKernel } from '@hubel/core';
import { SoftmaxCrossEntropy } from './definition.js';

const UNIFORMS = [['positions', 'u32'], ['classes', 'u32'], ['inner', 'u32'], ['hasIgnore', 'u32'], ['ignore', 'i32'], ['eps', 'f32'], ['nan', 'f32']] as const;

const FORWARD: Program = {
  name: 'softmaxCrossEntropy.forward',
  key: 'softmaxCrossEntropy.forward',
  uniforms: UNIFORMS,
  storage: [read('x'), read('labels', 'i32'), write('p'), write('loss'), write('labelled')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = linearIndex(gid, nwg);
  if (k >= u.positions) { return; }
  let base = (k / u.inner) * u.classes * u.inner + k % u.inner;
  var m = -3.402823e38;
  for (var c = 0u; c < u.classes; c++) { m = max(m, x[base + c * u.inner]); }
  var s = 0.0;
  var gap = 0.0;
  for (var c = 0u; c < u.classes; c++) {
    let v = x[base + c * u.inner];
    let e = exp(v - m);
    p[base + c * u.inner] = e;
    s += e;
    gap += m - v;
  }
  for (var c = 0u; c < u.classes; c++) { p[base + c * u.inner] /= s; }
  let label = labels[k];
  if (u.hasIgnore == 1u && label == u.ignore) {
    loss[k] = 0.0;
    labelled[k] = 0.0;
    return;
  }
  var xl = u.nan; // a label outside [0, C) makes the loss NaN (WGSL has no NaN literal)
  if (label >= 0 && u32(label) < u.classes) { xl = x[base + u32(label) * u.inner]; }
  loss[k] = log(s) + (1.0 - u.eps) * (m - xl) + (u.eps / f32(u.classes)) * gap;
  labelled[k] = 1.0;
}
`,
};

const BACKWARD: Program = {
  name: 'softmaxCrossEntropy.backward',
  key: 'softmaxCrossEntropy.backward',
  uniforms: [...UNIFORMS, ['mean', 'u32']],
  storage: [read('p'), read('labels', 'i32'), read('seed'), read('count'), write('dx')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = linearIndex(gid, nwg);
  if (j >= u.positions * u.classes) { return; }
  let i = j % u.inner;
  let c = (j / u.inner) % u.classes;
  let k = (j / (u.inner * u.classes)) * u.inner + i;
  let label = labels[k];
  var scale = seed[0];
  if (u.mean == 1u) { scale = select(0.0, scale / count[0], count[0] > 0.0); }
  if (u.hasIgnore == 1u && label == u.ignore) {
    dx[j] = 0.0;
    return;
  }
  let hit = select(0.0, 1.0 - u.eps, i32(c) == label);
  dx[j] = scale * (p[j] - u.eps / f32(u.classes) - hit);
}
`,
};

export const softmaxCrossEntropyWebGpu = defineKernel(SoftmaxCrossEntropy, 'webgpu', {
  forward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t] }) {
    const { blocks } = backend;
    const classes = x.shape[1];
    const positions = t.size;
    const p = backend.alloc(x.shape);
    const loss = backend.alloc([positions]);
    const labelled = backend.alloc([positions]);
    const uniforms = [positions, classes, x.size / (x.shape[0] * classes), ignoreIndex === undefined ? 0 : 1, ignoreIndex ?? 0, eps, NaN];
    backend.run(FORWARD, [x, t, p, loss, labelled], uniforms, grid(positions));
    const total = blocks.reduce(loss, { axes: [0], outShape: [] });
    const count = blocks.reduce(labelled, { axes: [0], outShape: [] });
    const out =
      reduction === 'mean'
        ? blocks.map({ name: 'softmaxCrossEntropy.mean', expr: 'select(0.0, a / b, b > 0.0)', inputs: [total, count] })
        : blocks.reshape(total, []);
    for (const tensor of [loss, labelled, total]) tensor.dispose();
    return { outputs: [out], saved: { p, count } };
  },
  backward({ backend, attrs: { ignoreIndex, labelSmoothing: eps, reduction }, inputs: [x, t], saved, dOutputs: [dC], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined, undefined] };
    const classes = x.shape[1];
    const dx = backend.alloc(x.shape);
    const uniforms = [t.size, classes, x.size / (x.shape[0] * classes), ignoreIndex === undefined ? 0 : 1, ignoreIndex ?? 0, eps, NaN, reduction === 'mean' ? 1 : 0];
    backend.run(BACKWARD, [saved.p, t, dC, saved.count, dx], uniforms, grid(x.size));
    return { dInputs: [dx, undefined] };
  },
});
