// Class-weighted reduction on WebGPU, shared by the WebGPU kernels of SoftmaxCrossEntropyLoss
// and NegativeLogLikelihoodLoss (the CPU twin, ./cpu.ts, states the math): per-position losses
// ℓ_k and weights w_k (0 where ignored) come from the layer's own program; here the map and
// reduce blocks form w·ℓ, its sum or its mean over D = Σw, the seeds s_k = ∂C/∂(w_k·ℓ_k), and
// one invocation per class sums ∂C/∂W_c = Σ_{k: l_k = c} s_k·(ℓ_k − [mean]·C).
import type { WebGpuBackend } from '@hubel/backend-webgpu';
import { LINEAR_INDEX, grid, read, write, type Program } from '@hubel/backend-webgpu';
import type { Shape, Tensor } from '@hubel/core';
import type { Reduction } from './cpu.js';

const SCALAR = { div: 1, mod: 1 } as const;

/** The loss output from per-position `plain` ℓ and weights `w` ([P] each); D = Σw for 'mean' (fresh tensors). */
export function reduceLossGpu(backend: WebGpuBackend, plain: Tensor, w: Tensor, reduction: Reduction, tShape: Shape): { y: Tensor; denom?: Tensor } {
  const { blocks } = backend;
  const weighted = blocks.map({ name: 'classWeights.weighted', expr: 'a * b', inputs: [plain, w] });
  if (reduction === 'none') {
    const y = blocks.reshape(weighted, tShape);
    weighted.dispose();
    return { y };
  }
  const total = blocks.reduce(weighted, { axes: [0], outShape: [] });
  weighted.dispose();
  if (reduction === 'sum') return { y: total };
  const denom = blocks.reduce(w, { axes: [0], outShape: [] });
  // Mean over nothing labelled is 0 (ONNX's reference gives 0/0).
  const y = blocks.map({ name: 'classWeights.mean', expr: 'select(0.0, a / b, b != 0.0)', inputs: [total, denom] });
  total.dispose();
  return { y, denom };
}

/** s_k = ∂C/∂(w_k·ℓ_k) for the P positions (a fresh [P] tensor). */
export function positionSeedsGpu(backend: WebGpuBackend, dC: Tensor, reduction: Reduction, denom: Tensor | undefined, positions: number): Tensor {
  const { blocks } = backend;
  if (reduction === 'none') return blocks.reshape(dC, [positions]);
  if (reduction === 'sum') return blocks.map({ name: 'classWeights.seedSum', expr: 'a', inputs: [{ t: dC, broadcast: SCALAR }], shape: [positions] });
  return blocks.map({ name: 'classWeights.seedMean', expr: 'select(0.0, a / b, b != 0.0)', inputs: [{ t: dC, broadcast: SCALAR }, { t: denom!, broadcast: SCALAR }], shape: [positions] });
}

const WEIGHT_GRAD: Program = {
  name: 'classWeights.dW',
  key: 'classWeights.dW',
  uniforms: [['positions', 'u32'], ['classes', 'u32'], ['hasIgnore', 'u32'], ['ignore', 'i32'], ['mean', 'u32']],
  storage: [read('labels', 'i32'), read('plain'), read('seeds'), read('y'), write('dW')],
  body: () => /* wgsl */ `${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = linearIndex(gid, nwg);
  if (c >= u.classes) { return; }
  var m = 0.0;
  if (u.mean == 1u) { m = y[0]; }
  var acc = 0.0;
  for (var k = 0u; k < u.positions; k++) {
    let label = labels[k];
    if (label == i32(c) && !(u.hasIgnore == 1u && label == u.ignore)) { acc += seeds[k] * (plain[k] - m); }
  }
  dW[c] = acc;
}
`,
};

/** ∂C/∂W, a fresh [classes] tensor: one invocation per class walks the P positions. */
export function classWeightGradGpu(
  backend: WebGpuBackend,
  o: { labels: Tensor; ignoreIndex: number | undefined; plain: Tensor; seeds: Tensor; reduction: Reduction; y: Tensor; classes: number },
): Tensor {
  const dW = backend.alloc([o.classes]);
  const uniforms = [o.labels.size, o.classes, o.ignoreIndex === undefined ? 0 : 1, o.ignoreIndex ?? 0, o.reduction === 'mean' ? 1 : 0];
  backend.run(WEIGHT_GRAD, [o.labels, o.plain, o.seeds, o.y, dW], uniforms, grid(o.classes));
  return dW;
}

/**
 * WGSL for a per-position loss kernel (invocation k; buffers `labels`, `plain`, `wk`; uniforms
 * `hasIgnore`, `ignore`, `classes`, `nan`): binds `label` and returns early with ℓ_k = 0, w_k = 0
 * at an ignored position, or ℓ_k = NaN for a label outside [0, C) (labels are not read back to
 * the host; the NaN reaches the loss, where the trainer's NaN guard reports it).
 */
export const SCREEN_LABEL_WGSL = /* wgsl */ `  let label = labels[k];
  if (u.hasIgnore == 1u && label == u.ignore) {
    plain[k] = 0.0;
    wk[k] = 0.0;
    return;
  }
  if (label < 0 || u32(label) >= u.classes) {
    plain[k] = u.nan; // WGSL has no NaN literal
    wk[k] = 1.0;
    return;
  }
`;
