import { attr, defineLayer, type OnnxFunctionBody } from '@hubel/core';
import { gaussianTaps } from './gaussian-window.js';

/**
 * Local contrast normalization (Jarrett et al. 2009) on [N, C, H, W] inputs. With w a size×size
 * Gaussian window of standard deviation sigma, normalized to sum to 1 over the in-image part
 * of the window and shared by all C maps:
 *
 * - subtractive: v[i,j,k] = x[i,j,k] − m[j,k], m[j,k] = (1/C)·Σ_i Σ_pq w_pq·x[i, j+p, k+q];
 * - divisive: y = v / max(c, σ[j,k]), σ[j,k] = √((1/C)·Σ_i Σ_pq w_pq·v[i, j+p, k+q]²),
 *   where c is the `c` attribute or, by default, the mean of σ over the sample's map.
 *
 * A point with max(c, σ) = 0 (a constant neighbourhood and c = 0) outputs 0.
 */
export const LocalContrastNorm = defineLayer({
  domain: 'ai.hubel',
  type: 'LocalContrastNorm',
  doc: 'local mean 0, local standard deviation 1 under a Gaussian window over all maps',
  attrs: {
    size: attr.int({ min: 1, default: 7, doc: 'window side (odd)' }),
    sigma: attr.float({ gt: 0, default: 2, doc: 'standard deviation of the Gaussian window, in pixels' }),
    c: attr.float({ min: 0, optional: true, doc: 'floor of the divisor; default: mean of σ over each sample' }),
  },
  validate: (a) => {
    if (a.size % 2 === 0) throw new Error(`attribute 'size': expected an odd window side, found ${a.size}`);
  },
  inferShapes: (_a, [x]) => {
    if (x.length !== 4) throw new Error(`expected a 4-D input [N, C, H, W], found rank ${x.length}`);
    return [[...x]];
  },
  onnx: { since: 1, functionBody: (a) => lcnFunctionBody(a) },
});

/**
 * The same computation in standard ONNX ops (opset 18): means over channels with ReduceMean,
 * the window as a Conv with a fixed [1, 1, size, size] Gaussian kernel and zero padding, and
 * the border renormalization Z as that Conv applied to ones. Where max(c, σ) = 0 this body
 * divides 0 by 0 (NaN) instead of outputting 0.
 */
function lcnFunctionBody(a: { size: number; sigma: number; c: number | undefined }): OnnxFunctionBody {
  const g = gaussianTaps(a.size, a.sigma);
  const kernel: number[] = [];
  for (const gp of g) for (const gq of g) kernel.push(gp * gq);
  const r = (a.size - 1) / 2;
  const conv = (input: string, output: string) => ({ opType: 'Conv', inputs: [input, 'K'], outputs: [output], attrs: { pads: [r, r, r, r] } });
  return {
    inputs: ['X'],
    outputs: ['Y'],
    opsets: { '': 18 },
    nodes: [
      { opType: 'Constant', inputs: [], outputs: ['K'], attrs: { value: { tensor: { dims: [1, 1, a.size, a.size], floats: kernel } } } },
      { opType: 'Constant', inputs: [], outputs: ['axisC'], attrs: { value: { tensor: { dims: [1], int64s: [1] } } } },
      { opType: 'ReduceMean', inputs: ['X', 'axisC'], outputs: ['meanC'], attrs: { keepdims: 1 } },
      { opType: 'Shape', inputs: ['meanC'], outputs: ['planeShape'] },
      { opType: 'ConstantOfShape', inputs: ['planeShape'], outputs: ['ones'], attrs: { value: { tensor: { dims: [1], floats: [1] } } } },
      conv('ones', 'Z'),
      conv('meanC', 'meanSum'),
      { opType: 'Div', inputs: ['meanSum', 'Z'], outputs: ['M'] },
      { opType: 'Sub', inputs: ['X', 'M'], outputs: ['V'] },
      { opType: 'Mul', inputs: ['V', 'V'], outputs: ['V2'] },
      { opType: 'ReduceMean', inputs: ['V2', 'axisC'], outputs: ['meanV2'], attrs: { keepdims: 1 } },
      conv('meanV2', 'varSum'),
      { opType: 'Div', inputs: ['varSum', 'Z'], outputs: ['var'] },
      { opType: 'Sqrt', inputs: ['var'], outputs: ['sigma'] },
      ...(a.c === undefined
        ? [
            { opType: 'Constant', inputs: [], outputs: ['axesHW'], attrs: { value: { tensor: { dims: [2], int64s: [2, 3] } } } },
            { opType: 'ReduceMean', inputs: ['sigma', 'axesHW'], outputs: ['floor'], attrs: { keepdims: 1 } },
          ]
        : [{ opType: 'Constant', inputs: [], outputs: ['floor'], attrs: { value: { tensor: { dims: [], floats: [a.c] } } } }]),
      { opType: 'Max', inputs: ['sigma', 'floor'], outputs: ['D'] },
      { opType: 'Div', inputs: ['V', 'D'], outputs: ['Y'] },
    ],
  };
}
