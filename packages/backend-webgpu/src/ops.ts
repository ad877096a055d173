// Core's ops on the GPU: fan-out sums, seeds, copies and the optimizer updates, each one
// dispatch (or one copy/clear command) in the current batch.
import { HubelError, fmtShape, sameShape, type AdamUpdate, type CoreOps, type SgdUpdate, type Tensor } from '@hubel/core';
import type { WebGpuBackend } from './backend.js';
import { map } from './blocks/elementwise.js';
import { LINEAR_INDEX, grid, read, write, type Program } from './program.js';

const FILL: Program = {
  name: 'fill',
  key: 'fill',
  uniforms: [['n', 'u32'], ['value', 'f32']],
  storage: [write('out')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i < u.n) { out[i] = u.value; }
}
`,
};

// SGD: d = g + λw; with momentum v ← μv + (1 − dampening)·d and d = v (or d + μv, Nesterov);
// w ← w − lr·d. One program per (momentum?, nesterov?) since those change the text.
function sgdProgram(momentum: boolean, nesterov: boolean): Program {
  return {
    name: 'sgdUpdate',
    key: `sgd|${momentum}|${nesterov}`,
    uniforms: [['n', 'u32'], ['lr', 'f32'], ['mu', 'f32'], ['dampening', 'f32'], ['decay', 'f32']],
    storage: [write('w'), read('g'), ...(momentum ? [write('v')] : [])],
    body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.n) { return; }
  var d = g[i] + u.decay * w[i];
  ${momentum ? `v[i] = u.mu * v[i] + (1.0 - u.dampening) * d;\n  d = ${nesterov ? 'd + u.mu * v[i]' : 'v[i]'};` : ''}
  w[i] = w[i] - u.lr * d;
}
`,
  };
}

// Adam: m ← β1m + (1 − β1)g; v ← β2v + (1 − β2)g²; w ← w − lr·(m/c1)/(√(v/c2) + ε) with
// c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ computed on the host; weight decay through g, or on w (AdamW).
function adamProgram(decoupled: boolean): Program {
  return {
    name: 'adamUpdate',
    key: `adam|${decoupled}`,
    uniforms: [['n', 'u32'], ['lr', 'f32'], ['beta1', 'f32'], ['beta2', 'f32'], ['eps', 'f32'], ['decay', 'f32'], ['c1', 'f32'], ['c2', 'f32']],
    storage: [write('w'), read('g'), write('m'), write('v')],
    body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg);
  if (i >= u.n) { return; }
  let gi = ${decoupled ? 'g[i]' : 'g[i] + u.decay * w[i]'};
  m[i] = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  v[i] = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  let upd = (m[i] / u.c1) / (sqrt(v[i] / u.c2) + u.eps);
  w[i] = w[i] - u.lr * ${decoupled ? '(upd + u.decay * w[i])' : 'upd'};
}
`,
  };
}

export function createOps(be: WebGpuBackend): CoreOps {
  const same = (a: Tensor, b: Tensor, op: string) => {
    if (!sameShape(a.shape, b.shape)) throw new HubelError('shape', `${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  };
  return {
    add(a, b) {
      same(a, b, 'add');
      return map(be, { name: 'add', expr: 'a + b', inputs: [a, b] });
    },
    copy(a) {
      const out = be.alloc(a.shape, a.dtype);
      be.copyInto(a, out, 'copy');
      return out;
    },
    fill(shape, value) {
      if (value === 0) return be.zeros(shape);
      const out = be.alloc(shape);
      be.run(FILL, [out], [out.size, value], grid(out.size));
      return out;
    },
    assign(dst, src) {
      same(dst, src, 'assign');
      be.copyInto(src, dst, 'assign');
    },
    sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor | undefined, o: SgdUpdate) {
      same(param, grad, 'sgdUpdate');
      if (velocity) same(param, velocity, 'sgdUpdate velocity');
      const bindings = velocity ? [param, grad, velocity] : [param, grad];
      be.run(sgdProgram(!!velocity, o.nesterov), bindings, [param.size, o.lr, o.momentum, o.dampening, o.weightDecay], grid(param.size));
    },
    adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamUpdate) {
      same(param, grad, 'adamUpdate');
      const c1 = 1 - o.beta1 ** o.step;
      const c2 = 1 - o.beta2 ** o.step;
      be.run(adamProgram(o.decoupled), [param, grad, m, v], [param.size, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, c1, c2], grid(param.size));
    },
  };
}
