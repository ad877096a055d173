import { defineCases } from '@hubel/core';
import { CastLike, Equal, Greater, Less, Where } from './definition.js';

// The exporter declares int32 values INT64, while ONNX's comparisons produce and Where reads BOOL.
const NO_BOOL_EXPORT = { onnx: 'the ONNX exporter writes int32 values as INT64; ONNX comparisons output BOOL and Where reads a BOOL condition' };

export const logicCases = [
  ...defineCases(Less, [
    { name: 'broadcast [3, 4] < [4]: int32, zero gradient', inputs: [[3, 4], [4]], skipSuites: NO_BOOL_EXPORT },
    { name: 'scalar bound [2, 5] < []', inputs: [[2, 5], []], skipSuites: NO_BOOL_EXPORT },
  ]),
  ...defineCases(Greater, [{ name: 'both broadcast [3, 1] > [1, 4]', inputs: [[3, 1], [1, 4]], skipSuites: NO_BOOL_EXPORT }]),
  // Random normal draws are never equal, so this checks the all-zero case; the value test covers ties.
  ...defineCases(Equal, [{ name: 'same shapes [2, 3]', inputs: [[2, 3], [2, 3]], skipSuites: NO_BOOL_EXPORT }]),
  ...defineCases(Where, [
    { name: 'same shapes [3, 4]', inputs: [{ shape: [3, 4], values: { labels: 2 } }, [3, 4], [3, 4]], skipSuites: NO_BOOL_EXPORT },
    { name: 'broadcast cond [4], X [2, 3, 4], Y []', inputs: [{ shape: [4], values: { labels: 2 } }, [2, 3, 4], []], skipSuites: NO_BOOL_EXPORT },
    { name: 'broadcast cond [3, 1], X [1, 4], Y [3, 4]', inputs: [{ shape: [3, 1], values: { labels: 2 } }, [1, 4], [3, 4]], skipSuites: NO_BOOL_EXPORT },
  ]),
  ...defineCases(CastLike, [{ name: 'float like float [2, 3]', inputs: [[2, 3], [1]] }]),
];
