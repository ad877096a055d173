// When BatchNormalization uses batch statistics, and the checks both kernels make before computing them.
import { HubelError, fmtShape, sizeOf, type AttrsOf, type Mode, type Shape } from '@hubel/core';
import type { BatchNormalization } from './definition.js';

type BatchNormAttrs = AttrsOf<typeof BatchNormalization>;

/** True when μ and σ² are the batch's: a 'train' run, or a node marked `trainingMode` (an ONNX training graph). */
export function usesBatchStatistics(attrs: BatchNormAttrs, mode: Mode): boolean {
  return mode === 'train' || attrs.trainingMode;
}

/**
 * Checks a forward pass before it computes anything: the running_mean/running_var outputs are
 * bound only on `trainingMode` nodes (ONNX allows them only there), and batch statistics need at
 * least 2 values per channel. Returns whether the running-statistics outputs are wanted.
 */
export function checkBatchNormForward(attrs: BatchNormAttrs, mode: Mode, x: Shape, node: string, outputsWanted: readonly boolean[] | undefined): boolean {
  const statsWanted = !!(outputsWanted?.[1] || outputsWanted?.[2]);
  if (statsWanted && !attrs.trainingMode) {
    throw new HubelError(
      'attribute',
      `node '${node}' (BatchNormalization): outputs running_mean/running_var are bound, which needs attribute 'trainingMode': expected true, found false (ONNX gives these outputs only in training mode)`,
    );
  }
  if (usesBatchStatistics(attrs, mode) && sizeOf(x) / x[1] < 2) {
    const fix = attrs.trainingMode ? 'use a batch of 2 or more' : 'use a batch of 2 or more, or eval mode';
    throw new HubelError(
      'shape',
      `node '${node}' (BatchNormalization): training mode needs at least 2 values per channel to compute a batch variance, found input shape ${fmtShape(x)} (1 value per channel); ${fix}`,
    );
  }
  return statsWanted;
}
