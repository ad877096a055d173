// Shared by the ONNX suites: a registry holding every Hubel plugin, ONNX Runtime as the
// independent oracle, and a runner giving outputs and gradients of a model as host arrays.
import { cpuBackend } from '@hubel/backend-cpu';
import { Registry, Rng, sizeOf, type Model, type Plugin, type Tensor } from '@hubel/core';
import * as activation from '@hubel/layers-activation';
import * as conv from '@hubel/layers-conv';
import * as dense from '@hubel/layers-dense';
import * as loss from '@hubel/layers-loss';
import * as norm from '@hubel/layers-norm';
import * as pool from '@hubel/layers-pool';
import * as tensor from '@hubel/layers-tensor';
import * as ort from 'onnxruntime-node';

const isPlugin = (v: unknown): v is Plugin => typeof v === 'object' && v !== null && 'name' in v && ('layers' in v || 'kernels' in v);

/** Every layer plugin the packages export (found by shape, so a new plugin joins the suites). */
export const layerPlugins: Plugin[] = [dense, activation, loss, conv, pool, norm, tensor].flatMap((m) => Object.values(m).filter(isPlugin));

export function fullRegistry(): Registry {
  return new Registry().use(cpuBackend, ...layerPlugins);
}

export interface HostValue {
  readonly shape: readonly number[];
  readonly values: Float64Array | Int32Array;
  readonly dtype: 'float' | 'int32';
}

/** Runs an ONNX file in ONNX Runtime (CPU) and returns every output as float64. */
export async function runOrt(bytes: Uint8Array, feeds: Readonly<Record<string, HostValue>>): Promise<Record<string, { shape: readonly number[]; values: Float64Array }>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) {
      inputs[k] = v.dtype === 'int32' ? new ort.Tensor('int64', BigInt64Array.from(v.values, (x) => BigInt(x)), [...v.shape]) : new ort.Tensor('float32', Float32Array.from(v.values), [...v.shape]);
    }
    const out = await session.run(inputs);
    const res: Record<string, { shape: readonly number[]; values: Float64Array }> = {};
    for (const [k, t] of Object.entries(out)) res[k] = { shape: t.dims, values: Float64Array.from(t.data as ArrayLike<number | bigint>, Number) };
    return res;
  } finally {
    await session.release();
  }
}

export interface RunResult {
  readonly outputs: Record<string, Float64Array>;
  readonly grads: Record<string, Float64Array>;
}

/**
 * Forward (and backward, with a fixed random projection r of every output as the cost
 * C = Σ r·y) of `model` on `feeds`; gradients for every trainable parameter and float input.
 */
export async function runModel(model: Model, feeds: Readonly<Record<string, HostValue>>, o: { mode: 'train' | 'eval'; seed: number; backward: boolean }): Promise<RunResult> {
  const backend = model.backend;
  const tensors: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) tensors[k] = backend.tensor(v.values, v.shape, v.dtype === 'int32' ? 'int32' : undefined);
  const run = model.forward(tensors, { mode: o.mode, rng: new Rng(o.seed + 1), forBackward: o.backward });
  try {
    const outputs: Record<string, Float64Array> = {};
    for (const name of model.outputs) outputs[name] = Float64Array.from(await run.get(name).read());
    const grads: Record<string, Float64Array> = {};
    if (o.backward) {
      const r = new Rng(o.seed + 2);
      const seeds: Record<string, Tensor> = {};
      for (const name of model.outputs) {
        const y = run.get(name);
        seeds[name] = backend.tensor(Float64Array.from({ length: sizeOf(y.shape) }, () => r.range(-1, 1)), y.shape);
      }
      const g = run.backward({ seeds, inputs: Object.keys(feeds).filter((k) => feeds[k].dtype === 'float') });
      for (const [k, t] of g.inputs) grads[`input:${k}`] = Float64Array.from(await t.read());
      for (const [k, t] of g.params) grads[k] = Float64Array.from(await t.read());
      g.dispose();
      for (const s of Object.values(seeds)) s.dispose();
    }
    return { outputs, grads };
  } finally {
    run.dispose();
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/**
 * Largest |hubel − ort| / max(1, max|ort|) over an output. Both engines compute in float32
 * (unit round-off u = 2^-24 ≈ 6e-8) but may sum in different orders; a sum of K terms
 * differs by at most ~K·u·Σ|terms|. The layer cases here reduce over at most a few hundred
 * terms of magnitude ≲ 3, so 1e-4 relative to the output's scale (floored at 1) bounds it
 * with margin, while a wrong formula (a missing term, an off-by-one window) shows as ≳ 1e-2.
 */
export function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / scale;
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

/** The documented tolerance for `scaledError` (derivation above). */
export const ORT_TOLERANCE = 1e-4;

/** How many rows of `scores` ([n, classes], row-major) have their largest score (first on ties) at the row's label. */
export function correctCount(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[i * classes + c] > scores[i * classes + best]) best = c;
    if (best === labels[i]) correct++;
  }
  return correct;
}
