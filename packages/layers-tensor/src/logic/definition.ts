import { defineLayer } from '@hubel/core';
import { broadcastShapes } from '../broadcast.js';

/** Elementwise comparisons with numpy broadcasting (ONNX Less, Greater, Equal on float inputs). */
export type CompareOp = 'Less' | 'Greater' | 'Equal';

const DOCS: Record<CompareOp, string> = {
  Less: 'C = [A < B] as int32 0/1, with numpy broadcasting',
  Greater: 'C = [A > B] as int32 0/1, with numpy broadcasting',
  Equal: 'C = [A = B] as int32 0/1, with numpy broadcasting',
};

function defineCompare<T extends CompareOp>(type: T) {
  return defineLayer({
    domain: '',
    type,
    doc: DOCS[type],
    attrs: {},
    inputs: ['A', 'B'],
    outputs: ['C'],
    outputDTypes: { 0: 'int32' },
    inferShapes: (_a, [a, b]) => [broadcastShapes(a, b)],
    onnx: { since: 13 },
  });
}

/**
 * C = [A < B] (ONNX Less on float inputs). ONNX's BOOL output is Hubel's int32 0/1; a NaN
 * operand compares false. Piecewise constant, so the gradient is 0.
 */
export const Less = defineCompare('Less');
/** C = [A > B] (ONNX Greater on float inputs), int32 0/1; gradient 0. */
export const Greater = defineCompare('Greater');
/** C = [A = B] (ONNX Equal on float inputs), int32 0/1; gradient 0. */
export const Equal = defineCompare('Equal');

export const COMPARE_LAYERS = [Less, Greater, Equal] as const;

/**
 * output = condition ? X : Y elementwise, all three numpy-broadcast together (ONNX Where). The
 * condition is int32 (ONNX BOOL; any non-zero is true). dOutput goes to X where the condition
 * holds and to Y elsewhere, each summed back onto its operand's shape.
 */
export const Where = defineLayer({
  domain: '',
  type: 'Where',
  doc: 'output = condition ? X : Y, with numpy broadcasting',
  attrs: {},
  inputs: ['condition', 'X', 'Y'],
  outputs: ['output'],
  inputDTypes: { 0: 'int32' },
  inferShapes: (_a, [c, x, y]) => [broadcastShapes(broadcastShapes(c, x), y)],
  onnx: { since: 16 },
});

/**
 * output = input converted to target_type's element type (ONNX CastLike). Hubel computes in
 * one float type, so for a float target this is a copy with the identity gradient (and no
 * gradient to target_type, whose values are not read). Both inputs are float: an int32
 * target would need a layer whose output dtype follows its input's, which layer definitions
 * declare statically.
 */
export const CastLike = defineLayer({
  domain: '',
  type: 'CastLike',
  doc: 'output = input cast to the element type of target_type (float: a copy)',
  attrs: {},
  inputs: ['input', 'target_type'],
  outputs: ['output'],
  inferShapes: (_a, [x]) => [x],
  onnx: { since: 15 },
});
