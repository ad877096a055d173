/**
 * @hubel/layers-tensor: the structural ops real exported models contain, with CPU forward and
 * backward: Add, Sub, Mul, Div, Pow, Max, Min (numpy broadcasting), Exp, Log, Neg, Abs, Sqrt, Identity,
 * Clip, Softplus, Less, Greater, Equal, Where, CastLike, ReduceSum, ReduceMean, ReduceMax, MatMul, Reshape, Transpose, Concat, LogSoftmax,
 * Constant and Shape, and WebGPU forward and backward for each. Register with `registry.use(tensorLayers)`.
 */
import { definePlugin } from '@hubel/core';
import { Add, Div, Max, Min, Mul, Pow, Sub } from './elementwise/binary.js';
import { addCpu, divCpu, maxCpu, minCpu, mulCpu, powCpu, subCpu } from './elementwise/binary-cpu.js';
import { addWebGpu, divWebGpu, maxWebGpu, minWebGpu, mulWebGpu, powWebGpu, subWebGpu } from './elementwise/binary-webgpu.js';
import { elementwiseCases } from './elementwise/cases.js';
import { Abs, Clip, Exp, Identity, Log, Neg, Softplus, Sqrt } from './elementwise/unary.js';
import { absCpu, clipCpu, expCpu, identityCpu, logCpu, negCpu, softplusCpu, sqrtCpu } from './elementwise/unary-cpu.js';
import { absWebGpu, clipWebGpu, expWebGpu, identityWebGpu, logWebGpu, negWebGpu, softplusWebGpu, sqrtWebGpu } from './elementwise/unary-webgpu.js';
import { logicCases } from './logic/cases.js';
import { castLikeCpu, equalCpu, greaterCpu, lessCpu, whereCpu } from './logic/cpu.js';
import { CastLike, Equal, Greater, Less, Where } from './logic/definition.js';
import { castLikeWebGpu, equalWebGpu, greaterWebGpu, lessWebGpu, whereWebGpu } from './logic/webgpu.js';
import { logSoftmaxCases } from './log-softmax/cases.js';
import { logSoftmaxCpu } from './log-softmax/cpu.js';
import { logSoftmaxWebGpu } from './log-softmax/webgpu.js';
import { LogSoftmax } from './log-softmax/definition.js';
import { matmulCases } from './matmul/cases.js';
import { matmulCpu } from './matmul/cpu.js';
import { matmulWebGpu } from './matmul/webgpu.js';
import { MatMul } from './matmul/definition.js';
import { reduceCases } from './reduce/cases.js';
import { reduceMaxCpu, reduceMeanCpu, reduceSumCpu } from './reduce/cpu.js';
import { reduceMaxWebGpu, reduceMeanWebGpu, reduceSumWebGpu } from './reduce/webgpu.js';
import { ReduceMax, ReduceMean, ReduceSum } from './reduce/definition.js';
import { shapeCases } from './shape/cases.js';
import { concatCpu, constantCpu, reshapeCpu, shapeOfCpu, transposeCpu } from './shape/cpu.js';
import { concatWebGpu, constantWebGpu, reshapeWebGpu, shapeOfWebGpu, transposeWebGpu } from './shape/webgpu.js';
import { Concat, Constant, Reshape, ShapeOf, Transpose } from './shape/definition.js';

export { Add, Sub, Mul, Div, Pow, Max, Min, type BinaryOp } from './elementwise/binary.js';
export { Exp, Log, Neg, Abs, Sqrt, Identity, Clip, Softplus, type UnaryOp } from './elementwise/unary.js';
export { Less, Greater, Equal, Where, CastLike, type CompareOp } from './logic/definition.js';
export { ReduceSum, ReduceMean, ReduceMax, type ReduceOp } from './reduce/definition.js';
export { MatMul } from './matmul/definition.js';
export { Reshape, Transpose, Concat, Constant, ShapeOf } from './shape/definition.js';
export { LogSoftmax } from './log-softmax/definition.js';
export { broadcastShapes, broadcastIndex, scatterAdd, gather } from './broadcast.js';

/** The plugin: the structural layers, their CPU and WebGPU kernels and their test cases. */
export const tensorLayers = definePlugin({
  name: '@hubel/layers-tensor',
  layers: [Add, Sub, Mul, Div, Pow, Max, Min, Exp, Log, Neg, Abs, Sqrt, Identity, Clip, Softplus, Less, Greater, Equal, Where, CastLike, ReduceSum, ReduceMean, ReduceMax, MatMul, Reshape, Transpose, Concat, Constant, LogSoftmax, ShapeOf],
  kernels: [
    addCpu, subCpu, mulCpu, divCpu, powCpu, maxCpu, minCpu,
    expCpu, logCpu, negCpu, absCpu, sqrtCpu, identityCpu, clipCpu, softplusCpu,
    lessCpu, greaterCpu, equalCpu, whereCpu, castLikeCpu,
    reduceSumCpu, reduceMeanCpu, reduceMaxCpu,
    matmulCpu, reshapeCpu, transposeCpu, concatCpu, constantCpu, logSoftmaxCpu, shapeOfCpu,
    addWebGpu, subWebGpu, mulWebGpu, divWebGpu, powWebGpu, maxWebGpu, minWebGpu,
    expWebGpu, logWebGpu, negWebGpu, absWebGpu, sqrtWebGpu, identityWebGpu, clipWebGpu, softplusWebGpu,
    lessWebGpu, greaterWebGpu, equalWebGpu, whereWebGpu, castLikeWebGpu,
    reduceSumWebGpu, reduceMeanWebGpu, reduceMaxWebGpu,
    matmulWebGpu, reshapeWebGpu, transposeWebGpu, concatWebGpu, constantWebGpu, logSoftmaxWebGpu, shapeOfWebGpu,
  ],
  cases: [...elementwiseCases, ...logicCases, ...reduceCases, ...shapeCases, ...matmulCases, ...logSoftmaxCases],
});
