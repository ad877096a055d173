import { HubelError, type Shape } from '@hubel/core';
import type { OnnxNodeProto } from '../proto/messages.js';
import type { ImportContext } from './context.js';
import { DataType } from '../tensor-data.js';
import { importWithLayer, onnxAttrs } from './generic.js';

/**
 * Importers for ONNX ops whose general form is wider than the layer that computes their
 * common case. Keyed by `domain::opType`; everything else goes through the layers' own
 * `onnx` mappings. Each entry says which layer definition could absorb it (see README).
 */
export interface OnnxAdapter {
  /** Whether the registry has the layers this adapter emits (by their ONNX op types). */
  available(has: (opType: string) => boolean): boolean;
  /** Emits Hubel nodes computing `node`; the node's outputs must end up defined under their ONNX names. */
  import(ctx: ImportContext, node: OnnxNodeProto, name: string, where: string): void;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' ? v : dflt);

/** Row-major transpose of an m×n matrix. */
function transpose2d(v: ArrayLike<number>, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = v[i * n + j];
  return out;
}

/**
 * Gemm: Y = alpha·A'·B' + beta·C (onnx-notes §6.8). The fully connected case (B an initializer,
 * alpha = beta = 1, no transA, C absent or a per-column bias) becomes Hubel's Linear, with B
 * stored as W = B'ᵀ; every other form becomes MatMul, Transpose, Mul and Add nodes.
 */
const gemm: OnnxAdapter = {
  // Linear covers the fully connected form; the general form needs @hubel/layers-tensor.
  available: (has) => has('Gemm') || ['MatMul', 'Transpose', 'Mul', 'Add', 'Constant'].every(has),
  import(ctx, node, name, where) {
    const a = onnxAttrs(node, where);
    for (const k of Object.keys(a)) if (!['alpha', 'beta', 'transA', 'transB'].includes(k)) throw new HubelError('attribute', `${where}: unknown Gemm attribute '${k}' (Gemm reads alpha, beta, transA, transB)`);
    const alpha = num(a.alpha, 1), beta = num(a.beta, 1), transA = num(a.transA, 0) !== 0, transB = num(a.transB, 0) !== 0;
    const [A, B, C] = node.inputs;
    const out = node.outputs[0];
    const [ra, ca] = ctx.shape(A);
    const sb = ctx.shape(B);
    if (ctx.shape(A).length !== 2 || sb.length !== 2) throw new HubelError('shape', `${where}: Gemm needs 2-D A and B, found ${ctx.shape(A).length}-D and ${sb.length}-D`);
    const k = transA ? ra : ca;
    const n = transB ? sb[0] : sb[1];
    if ((transB ? sb[1] : sb[0]) !== k) throw new HubelError('shape', `${where}: inner dimensions differ: A' has ${k} columns, B' has ${transB ? sb[1] : sb[0]} rows`);
    const Bc = ctx.constant(B);
    const Cc = C ? ctx.constant(C) : undefined;
    const linear = ctx.layerFor('', 'Gemm');
    const cIsBias = !C || (Cc !== undefined && Cc.values.length === n && (Cc.dims.length === 1 || (Cc.dims.length === 2 && Cc.dims[0] === 1)));
    if (linear && Bc && alpha === 1 && beta === 1 && !transA && cIsBias) {
      const W = transB ? Bc.values : transpose2d(Bc.values, k, n);
      const params: Record<string, ArrayLike<number>> = { W };
      if (Cc) params.B = Cc.values;
      ctx.emit(linear, { outFeatures: n, bias: !!C }, [ctx.data(A, where)], { name, outputs: [out], params, where });
      return;
    }
    let x = ctx.data(A, where);
    if (transA) x = ctx.emit(ctx.requireLayer('', 'Transpose', where), { perm: [1, 0] }, [x], { name: `${name}/transA`, where })[0];
    let w: string;
    if (Bc) w = ctx.constantNode(transB ? transpose2d(Bc.values, n, k) : Bc.values, [k, n], { trainable: Bc.origin === 'initializer', name: `${name}/B`, where });
    else {
      w = ctx.data(B, where);
      if (transB) w = ctx.emit(ctx.requireLayer('', 'Transpose', where), { perm: [1, 0] }, [w], { name: `${name}/transB`, where })[0];
    }
    const last = !C && alpha === 1;
    let y = ctx.emit(ctx.requireLayer('', 'MatMul', where), {}, [x, w], { name: `${name}/matmul`, outputs: last ? [out] : undefined, where })[0];
    if (alpha !== 1) {
      const s = ctx.constantNode([alpha], [], { trainable: false, name: `${name}/alpha`, where });
      y = ctx.emit(ctx.requireLayer('', 'Mul', where), {}, [y, s], { name: `${name}/scale`, outputs: C ? undefined : [out], where })[0];
    }
    if (!C) return;
    let c: string;
    if (Cc) c = ctx.constantNode(Float64Array.from(Cc.values, (v) => beta * v), Cc.dims, { trainable: Cc.origin === 'initializer', name: `${name}/C`, where });
    else {
      c = ctx.data(C, where);
      if (beta !== 1) {
        const s = ctx.constantNode([beta], [], { trainable: false, name: `${name}/beta`, where });
        c = ctx.emit(ctx.requireLayer('', 'Mul', where), {}, [c, s], { name: `${name}/scaleC`, where })[0];
      }
    }
    ctx.emit(ctx.requireLayer('', 'Add', where), {}, [y, c], { name, outputs: [out], where });
  },
};

/**
 * Softmax / LogSoftmax before opset 13 normalize over all axes from `axis` on, jointly
 * (onnx-notes §6.10): Flatten to 2-D, normalize the last axis, reshape back.
 */
function legacySoftmax(op: 'Softmax' | 'LogSoftmax'): OnnxAdapter {
  return {
    available: (has) => has(op),
    import(ctx, node, name, where) {
      const a = onnxAttrs(node, where);
      const x = node.inputs[0];
      const shape: Shape = ctx.shape(x);
      const r = shape.length;
      const layer = ctx.requireLayer('', op, where);
      const axis0 = num(a.axis, ctx.opset >= 13 ? -1 : 1);
      const axis = axis0 < 0 ? axis0 + r : axis0;
      if (ctx.opset >= 13 || axis === r - 1) {
        ctx.emit(layer, { axis: ctx.opset >= 13 ? axis0 : -1 }, [ctx.data(x, where)], { name, outputs: [node.outputs[0]], where });
        return;
      }
      const flat = ctx.emit(ctx.requireLayer('', 'Flatten', where), { axis }, [ctx.data(x, where)], { name: `${name}/flatten`, where })[0];
      const y = ctx.emit(layer, { axis: -1 }, [flat], { name: `${name}/${op.toLowerCase()}`, where })[0];
      ctx.emit(ctx.requireLayer('', 'Reshape', where), { shape: [-1, ...shape.slice(1)] }, [y], { name, outputs: [node.outputs[0]], where });
    },
  };
}

/**
 * Variadic ONNX ops (Concat, Max, Min, Sum) over Hubel's two-input layers: n inputs become a
 * left-to-right chain (each op is associative), one input an Identity.
 */
function variadic(op: 'Concat' | 'Max' | 'Min' | 'Sum', layerOp: string, attrNames: readonly string[]): OnnxAdapter {
  return {
    available: (has) => has(layerOp) && has('Identity'),
    import(ctx, node, name, where) {
      const a = onnxAttrs(node, where);
      for (const k of Object.keys(a)) if (!attrNames.includes(k)) throw new HubelError('attribute', `${where}: unknown ${op} attribute '${k}' (${op} reads ${attrNames.join(', ') || 'none'})`);
      const ins = node.inputs.filter(Boolean).map((v) => ctx.data(v, where));
      if (ins.length === 0) throw new HubelError('graph', `${where}: ${op} needs at least one input`);
      const out = node.outputs[0];
      if (ins.length === 1) {
        ctx.emit(ctx.requireLayer('', 'Identity', where), {}, ins, { name, outputs: [out], where });
        return;
      }
      const layer = ctx.requireLayer('', layerOp, where);
      let acc = ins[0];
      for (let i = 1; i < ins.length; i++) {
        const last = i === ins.length - 1;
        acc = ctx.emit(layer, a, [acc, ins[i]], { name: last ? name : `${name}/${i}`, outputs: last ? [out] : undefined, where })[0];
      }
    },
  };
}

/**
 * Shape: when the input's shape is fixed at import time (no symbolic batch), the output is a
 * constant, so that Reshape and the other ops taking shapes as constant inputs read it
 * (ONNX's function bodies, e.g. SoftmaxCrossEntropyLoss's, reshape by Shape(X)). Otherwise it
 * is the Shape layer, computed at run time.
 */
const shape: OnnxAdapter = {
  available: (has) => has('Shape'),
  import(ctx, node, name, where) {
    const dims = ctx.staticShape(node.inputs[0]);
    if (!dims) {
      importWithLayer(ctx, node, ctx.layerFor('', 'Shape')!, name, where);
      return;
    }
    const a = onnxAttrs(node, where);
    for (const k of Object.keys(a)) if (!['start', 'end'].includes(k)) throw new HubelError('attribute', `${where}: unknown Shape attribute '${k}' (Shape reads start, end)`);
    const r = dims.length;
    const clamp = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
    const values = dims.slice(clamp(num(a.start, 0)), clamp(num(a.end, r)));
    ctx.addConstant(node.outputs[0], { dims: [values.length], dataType: DataType.INT64, values: Float64Array.from(values) }, 'constant-node');
  },
};

/** Adapters by `domain::opType`. */
export const ADAPTERS: Readonly<Record<string, OnnxAdapter>> = Object.freeze({
  '::Gemm': gemm,
  '::Concat': variadic('Concat', 'Concat', ['axis']),
  '::Max': variadic('Max', 'Max', []),
  '::Min': variadic('Min', 'Min', []),
  '::Sum': variadic('Sum', 'Add', []),
  '::Softmax': legacySoftmax('Softmax'),
  '::LogSoftmax': legacySoftmax('LogSoftmax'),
  '::Shape': shape,
});
