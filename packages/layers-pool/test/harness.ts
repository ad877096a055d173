/** Test-only helpers: run one pooling layer forward and backward on a float64 CPU backend; read ONNX test tensors. */
import { readFileSync, existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { casesDir } from '../../../tests/conformance/cases-dir.js';
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, Registry, type AnyLayer } from '@hubel/core';
import { poolLayers } from '@hubel/layers-pool';

export const registry = new Registry().use(cpuBackend, poolLayers);
export const backend = createCpuBackend({ dtype: 'float64' });

/**
 * y = layer(x) and, when dy is given, dx = ∂(Σ dy·y)/∂x, as float64 host arrays; for a layer with
 * a second output (MaxPool's Indices) also that output's values.
 */
export async function runLayer(layer: AnyLayer, attrs: object, x: ArrayLike<number>, shape: readonly number[], dy?: (n: number) => ArrayLike<number>) {
  // Bind every output, optional ones (MaxPool's Indices) included.
  const g = new GraphBuilder({ registry });
  g.input('input', [null, ...shape.slice(1)]);
  const outs = g.node(layer, attrs as never, 'input', { name: 'pool', outputs: layer.outputs.map((o, i) => (i === 0 ? 'pool' : `pool.${o}`)) });
  g.output(outs[0]);
  const model = g.build({ backend });
  const xt = backend.tensor(x, shape);
  try {
    const run = model.forward({ input: xt }, { mode: 'train', forBackward: dy !== undefined });
    const yt = run.get(model.outputs[0]);
    const y = Float64Array.from(await yt.read());
    const second = layer.outputs.length > 1 ? Array.from(await run.get(`pool.${layer.outputs[1]}`).read()) : undefined;
    let dx: Float64Array | undefined;
    if (dy) {
      const seed = backend.tensor(dy(y.length), yt.shape);
      const g = run.backward({ seeds: { [model.outputs[0]]: seed }, inputs: ['input'] });
      dx = Float64Array.from(await g.inputs.get('input')!.read());
      g.dispose();
      seed.dispose();
    }
    const yShape = [...yt.shape];
    run.dispose();
    return { y, shape: yShape, dx, second };
  } finally {
    xt.dispose();
    model.dispose();
  }
}

/** ONNX's operator test cases: the repository's copy, or ONNX_CONFORMANCE_DIR (tests/conformance/cases-dir.ts). */
export const CONFORMANCE = pathToFileURL(`${casesDir}/`);

/** Dims and float32 raw_data of a TensorProto file (field 1 dims, field 9 raw_data): just enough for ONNX's test data. */
export function readTensorProto(caseName: string, file: string): { dims: number[]; values: Float32Array } {
  const url = new URL(`${caseName}/test_data_set_0/${file}`, CONFORMANCE);
  if (!existsSync(url)) throw new Error(`ONNX conformance case '${caseName}' is missing: expected ${url.pathname}`);
  const b = readFileSync(url);
  let i = 0;
  const varint = () => {
    let r = 0;
    let mul = 1;
    for (;;) {
      const c = b[i++];
      r += (c & 0x7f) * mul;
      mul *= 128;
      if (c < 0x80) return r;
    }
  };
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  while (i < b.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 1) dims.push(v);
    } else if (wire === 2) {
      const len = varint();
      if (field === 1) {
        const end = i + len;
        while (i < end) dims.push(varint());
      } else {
        if (field === 9) raw = b.subarray(i, i + len);
        i += len;
      }
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`${caseName}/${file}: unsupported protobuf wire type ${wire}`);
  }
  if (!raw) throw new Error(`${caseName}/${file}: no raw_data (field 9)`);
  const copy = new Uint8Array(raw);
  return { dims, values: new Float32Array(copy.buffer, 0, copy.length / 4) };
}
