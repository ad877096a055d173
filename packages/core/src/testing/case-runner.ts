import type { Backend } from '../backend.js';
import type { InputGen, LayerCase } from '../cases.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Model } from '../graph/model.js';
import { layerLabel } from '../layer.js';
import { Registry, defaultRegistry } from '../registry.js';
import { Rng } from '../rng.js';
import { sizeOf, type Shape, type Tensor } from '../tensor.js';

/** One input of a case, drawn on the host by {@link drawInputs}. */
export interface DrawnInput {
  /** The input's shape. */
  readonly shape: Shape;
  /** The values: float64 for float inputs, int32 for class labels. */
  readonly values: Float64Array | Int32Array;
  /** `'float'` (the backend's float type) or `'int32'`. */
  readonly dtype: 'float' | 'int32';
  /** Whether the gradient checker differentiates this input. */
  readonly grad: boolean;
}

/** Draws a case's inputs on the host (seeded), identically for every backend. */
export function drawInputs(c: LayerCase, rng: Rng): DrawnInput[] {
  return c.inputs.map((g: InputGen, i) => {
    const spec = Array.isArray(g) ? { shape: g as Shape } : (g as Exclude<InputGen, Shape>);
    const n = sizeOf(spec.shape);
    const v = spec.values ?? 'normal';
    if (typeof v === 'object' && 'labels' in v) {
      const values = new Int32Array(n);
      for (let j = 0; j < n; j++) values[j] = rng.int(v.labels);
      return { shape: spec.shape, values, dtype: 'int32', grad: false };
    }
    const values = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      values[j] =
        v === 'normal' ? rng.normal()
        : v === 'uniform' ? rng.range(-1, 1)
        : v === 'positive' ? rng.range(0.5, 1.5)
        : rng.range((v as { range: readonly [number, number] }).range[0], (v as { range: readonly [number, number] }).range[1]);
    }
    const declared = c.layer.inputDTypes?.[i];
    if (declared === 'int32') {
      throw new Error(`case '${c.name}': input ${i} of ${layerLabel(c.layer)} is int32; give it values: { labels: n }`);
    }
    return { shape: spec.shape, values, dtype: 'float', grad: spec.grad ?? true };
  });
}

/**
 * Builds a one-node model for a case: graph inputs `x0, x1, ...` (fixed batch), the layer,
 * its outputs. Parameters are initialized from `seed`, identically on every backend.
 */
export function buildCaseModel(c: LayerCase, backend: Backend, options: { registry?: Registry; seed?: number; inputs: DrawnInput[] }): Model {
  const g = new GraphBuilder({ registry: options.registry ?? defaultRegistry });
  const names = options.inputs.map((inp, i) => g.input(`x${i}`, inp.shape, inp.dtype));
  const outs = g.node(c.layer, c.attrs as never, names, { name: 'node' });
  g.output(...outs);
  return g.build({ backend, seed: options.seed ?? 1 });
}

/** Uploads drawn inputs to `backend` as feeds named `x0`, `x1`, ...; the caller owns and disposes them. */
export function uploadInputs(inputs: DrawnInput[], backend: Backend): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  inputs.forEach((inp, i) => {
    feeds[`x${i}`] = backend.tensor(inp.values, inp.shape, inp.dtype === 'int32' ? 'int32' : undefined);
  });
  return feeds;
}

/** Random projection weights r for C = Σ r·y over each output (fixed by the seed). */
export function projections(model: Model, rng: Rng, batchShapes: Map<string, Shape>): Float64Array[] {
  return model.outputs.map((o) => {
    const n = sizeOf(batchShapes.get(o)!);
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = rng.range(-1, 1);
    return r;
  });
}

/** What {@link runCase} returns: outputs and gradients as float64 host arrays, for comparing backends. */
export interface CaseResult {
  /** Each output of the case's node, by value name. */
  readonly outputs: Record<string, Float64Array>;
  /** ∂C/∂(input i) keyed `x0`, ... and ∂C/∂param keyed `W`, `B`, ... for C = Σ r·y. */
  readonly grads: Record<string, Float64Array>;
}

/**
 * Runs a case forward and backward on `backend` with seeded inputs, parameters and
 * projection, and returns everything as float64 host arrays: the parity suite compares two
 * backends' results, the ONNX suite compares outputs with ONNX Runtime.
 */
export async function runCase(c: LayerCase, backend: Backend, options: { registry?: Registry; seed?: number } = {}): Promise<CaseResult> {
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const inputs = drawInputs(c, rng);
  const model = buildCaseModel(c, backend, { registry: options.registry, seed, inputs });
  const feeds = uploadInputs(inputs, backend);
  const mode = c.mode ?? 'train';
  try {
    const run = model.forward(feeds, { mode, rng: new Rng(seed + 1), forBackward: true });
    const shapes = new Map(model.outputs.map((o) => [o, run.get(o).shape] as const));
    const r = projections(model, new Rng(seed + 2), shapes);
    const outputs: Record<string, Float64Array> = {};
    for (const o of model.outputs) outputs[o] = Float64Array.from(await run.get(o).read());
    const seeds: Record<string, Tensor> = {};
    model.outputs.forEach((o, i) => (seeds[o] = backend.tensor(r[i], shapes.get(o)!)));
    const wantInputs = inputs.flatMap((inp, i) => (inp.grad ? [`x${i}`] : []));
    const grads = run.backward({ seeds, inputs: wantInputs });
    const out: Record<string, Float64Array> = {};
    for (const [k, t] of grads.inputs) out[k] = Float64Array.from(await t.read());
    for (const [k, t] of grads.params) out[k.slice('node.'.length)] = Float64Array.from(await t.read());
    grads.dispose();
    for (const s of Object.values(seeds)) s.dispose();
    run.dispose();
    return { outputs, grads: out };
  } finally {
    for (const t of Object.values(feeds)) t.dispose();
    model.dispose();
  }
}
