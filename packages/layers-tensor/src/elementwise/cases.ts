import { defineCases } from '@hubel/core';
import { Add, Div, Max, Min, Mul, Pow, Sub } from './binary.js';
import { Abs, Clip, Exp, Identity, Log, Neg, Softplus, Sqrt } from './unary.js';

export const elementwiseCases = [
  ...defineCases(Add, [
    { name: 'same shapes [2, 3, 4]', inputs: [[2, 3, 4], [2, 3, 4]] },
    { name: 'bias broadcast [2, 3, 4] + [4]', inputs: [[2, 3, 4], [4]] },
    { name: 'both broadcast [3, 1, 2] + [1, 4, 1]', inputs: [[3, 1, 2], [1, 4, 1]] },
  ]),
  ...defineCases(Sub, [{ name: 'broadcast [2, 3, 4] − [3, 1]', inputs: [[2, 3, 4], [3, 1]] }]),
  ...defineCases(Mul, [
    { name: 'same shapes [3, 5]', inputs: [[3, 5], [3, 5]] },
    { name: 'per-channel scale [2, 3, 2, 2] ⊙ [3, 1, 1]', inputs: [[2, 3, 2, 2], [3, 1, 1]] },
  ]),
  ...defineCases(Div, [{ name: 'broadcast [2, 3, 4] / [4] (divisor in [0.5, 1.5))', inputs: [[2, 3, 4], { shape: [4], values: 'positive' }] }]),
  ...defineCases(Pow, [
    { name: 'positive base [3, 4] ^ [3, 4]', inputs: [{ shape: [3, 4], values: 'positive' }, { shape: [3, 4], values: 'uniform' }] },
    { name: 'scalar exponent [2, 5] ^ []', inputs: [{ shape: [2, 5], values: 'positive' }, { shape: [], values: 'uniform' }] },
  ]),
  ...defineCases(Max, [{ name: 'broadcast [3, 4] vs [4] (ties have measure zero)', inputs: [[3, 4], [4]], kink: 1e-3 }]),
  ...defineCases(Min, [{ name: 'same shapes [2, 5]', inputs: [[2, 5], [2, 5]], kink: 1e-3 }]),
  ...defineCases(Exp, [{ name: '[2, 3, 4]', inputs: [{ shape: [2, 3, 4], values: 'uniform' }] }]),
  ...defineCases(Log, [{ name: 'positive [3, 5]', inputs: [{ shape: [3, 5], values: 'positive' }] }]),
  ...defineCases(Neg, [{ name: '[4, 3]', inputs: [[4, 3]] }]),
  ...defineCases(Abs, [{ name: '[4, 3] (kink at 0)', inputs: [[4, 3]], kink: 1e-3 }]),
  ...defineCases(Sqrt, [{ name: 'positive [3, 4]', inputs: [{ shape: [3, 4], values: 'positive' }] }]),
  ...defineCases(Identity, [{ name: '[2, 3]', inputs: [[2, 3]] }]),
  ...defineCases(Softplus, [{ name: '[3, 4] in [-25, 25)', inputs: [{ shape: [3, 4], values: { range: [-25, 25] } }] }]),
  ...defineCases(Clip, [
    { name: 'both bounds [-0.5, 0.5] on [3, 8]', attrs: { min: -0.5, max: 0.5 }, inputs: [{ shape: [3, 8], values: 'uniform' }], kink: 1e-3 },
    { name: 'lower bound only, 0 on [2, 6]', attrs: { min: 0 }, inputs: [[2, 6]], kink: 1e-3 },
  ]),
];
