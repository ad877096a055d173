// Class-weighted reduction shared by the CPU kernels of SoftmaxCrossEntropyLoss and
// NegativeLogLikelihoodLoss (ONNX semantics). Per position k with label l_k: weight
// w_k = W[l_k] (1 without W; 0 where l_k = ignoreIndex), loss w_k·ℓ_k. 'none' keeps them,
// 'sum' adds them, 'mean' divides the sum by D = Σ_k w_k (0 when D = 0; ONNX gives 0/0).
// Backward: s_k = ∂C/∂(w_k·ℓ_k) (dC_k, dC or dC/D) and ∂C/∂W_c = Σ_{k: l_k = c} s_k·(ℓ_k − [mean]·C).
import type { CpuBackend } from '@hubel/backend-cpu';
import type { Shape, Tensor } from '@hubel/core';

/** ONNX's reduction attribute of the losses. */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Per-position weights w_k (a fresh host array): W[label] or 1, and 0 at ignored positions.
 * Calls `bad(k, label)` for a label outside [0, classes) that is not `ignoreIndex`, before
 * anything is allocated on the backend.
 */
export function positionWeights(labels: Int32Array, classes: number, ignoreIndex: number | undefined, W: ArrayLike<number> | undefined, bad: (k: number, label: number) => never): Float64Array {
  const w = new Float64Array(labels.length);
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k];
    if (label === ignoreIndex) continue;
    if (!(label >= 0 && label < classes)) bad(k, label);
    w[k] = W ? W[label] : 1;
  }
  return w;
}

/**
 * The loss output for per-position losses ℓ (`plain`) and weights w: shape `tShape` for
 * 'none', [] otherwise. Returns the fresh tensor and D = Σ w (for 'mean''s backward).
 */
export function reduceLoss(backend: CpuBackend, plain: Float64Array, w: Float64Array, reduction: Reduction, tShape: Shape): { y: Tensor; denom: number } {
  let total = 0;
  let denom = 0;
  const y = backend.alloc(reduction === 'none' ? tShape : []);
  const ys = backend.data(y);
  for (let k = 0; k < plain.length; k++) {
    const v = w[k] === 0 ? 0 : w[k] * plain[k]; // 0, not NaN, when an ignored position's ℓ is not finite
    if (reduction === 'none') ys[k] = v;
    total += v;
    denom += w[k];
  }
  if (reduction === 'sum') ys[0] = total;
  else if (reduction === 'mean') ys[0] = denom !== 0 ? total / denom : 0;
  return { y, denom };
}

/** s_k = ∂C/∂(w_k·ℓ_k) for every position (a fresh host array). */
export function positionSeeds(backend: CpuBackend, dC: Tensor, reduction: Reduction, denom: number, positions: number): Float64Array {
  const d = backend.data(dC);
  if (reduction === 'none') return Float64Array.from(d);
  const s = reduction === 'mean' ? (denom !== 0 ? d[0] / denom : 0) : d[0];
  return new Float64Array(positions).fill(s);
}

/** ∂C/∂W (a fresh [classes] tensor): Σ over labelled positions of class c of s_k·(ℓ_k − [mean]·C). */
export function classWeightGrad(
  backend: CpuBackend,
  o: { labels: Int32Array; ignoreIndex: number | undefined; plain: Float64Array; seeds: Float64Array; reduction: Reduction; y: Tensor; classes: number },
): Tensor {
  const dW = backend.zeros([o.classes]);
  const g = backend.data(dW);
  const mean = o.reduction === 'mean' ? backend.data(o.y)[0] : 0;
  for (let k = 0; k < o.labels.length; k++) {
    const label = o.labels[k];
    if (label === o.ignoreIndex) continue;
    g[label] += o.seeds[k] * (o.plain[k] - mean);
  }
  return dW;
}
