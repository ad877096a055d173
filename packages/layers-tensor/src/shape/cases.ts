import { defineCases } from '@hubel/core';
import { Concat, Constant, Reshape, ShapeOf, Transpose } from './definition.js';

export const shapeCases = [
  ...defineCases(Reshape, [
    { name: '[2, 3, 4] → [0, −1] (keep batch)', attrs: { shape: [0, -1] }, inputs: [[2, 3, 4]] },
    { name: '[2, 3, 4] → [4, 3, 2]', attrs: { shape: [4, 3, 2] }, inputs: [[2, 3, 4]] },
  ]),
  ...defineCases(Transpose, [
    { name: 'perm [2, 0, 1] on [2, 3, 4]', attrs: { perm: [2, 0, 1] }, inputs: [[2, 3, 4]] },
    { name: 'default (reversed) on [3, 5]', inputs: [[3, 5]] },
    { name: 'NCHW → NHWC [2, 3, 2, 2]', attrs: { perm: [0, 2, 3, 1] }, inputs: [[2, 3, 2, 2]] },
  ]),
  ...defineCases(Concat, [
    { name: 'axis 1 [2, 3, 2] ++ [2, 1, 2]', attrs: { axis: 1 }, inputs: [[2, 3, 2], [2, 1, 2]] },
    { name: 'axis −1 [3, 2] ++ [3, 4]', attrs: { axis: -1 }, inputs: [[3, 2], [3, 4]] },
    { name: 'axis 0 [1, 4] ++ [2, 4]', attrs: { axis: 0 }, inputs: [[1, 4], [2, 4]] },
  ]),
  ...defineCases(Constant, [{ name: 'trainable [2, 3]', attrs: { shape: [2, 3] }, inputs: [] }]),
  ...defineCases(
    ShapeOf,
    [
      { name: 'of [2, 3, 4]: int32 [2, 3, 4], zero gradient', inputs: [[2, 3, 4]] },
      { name: 'start 1, end −1 of [2, 3, 4, 5]: [3, 4]', attrs: { start: 1, end: -1 }, inputs: [[2, 3, 4, 5]] },
    ].map((c) => ({ ...c, skipSuites: { onnx: "io's exporter declares node outputs float; ONNX Runtime requires Shape's int64 (conformance cases cover Shape)" } })),
  ),
];
