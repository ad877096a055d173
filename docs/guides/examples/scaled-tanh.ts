// A layer plugin written outside Hubel, as a third party would: LeCun's scaled tanh with a
// gain learned per channel, y = α_c·tanh(β·x). One file here so the guide can show it whole;
// in a package each part gets its own file (definition.ts, cpu.ts, webgpu.ts, cases.ts).
//
// Run: node --import tsx docs/guides/examples/scaled-tanh.ts [out-dir]
// It checks the gradients by finite differences, compares the WebGPU kernel with the CPU one
// (when a WebGPU adapter exists), exports to ONNX and imports the file back. With `out-dir`
// it also writes the .onnx file and a JSON of one input and Hubel's output, for an
// independent engine (ONNX Runtime) to check.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { createWebGpuBackend, type Broadcast, type WebGpuBackend } from '@hubel/backend-webgpu';
import { parityPlugin } from '@hubel/backend-webgpu/testing';
import { attr, defineCases, defineKernel, defineLayer, definePlugin, Registry, Rng, Sequential, sizeOf, type OnnxFunctionBody } from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { decodeModel, exportOnnx, importOnnx } from '@hubel/io';

// ---- definition.ts: everything except arithmetic, as data ------------------------------------

/**
 * Scaled tanh y = α_c·tanh(β·x) on [N, C, ...] (NCHW for images), α learned per channel
 * (shape [C, 1, …, 1], so it broadcasts as ONNX's Mul does), initialized to LeCun's 1.7159.
 * ONNX has no such op: it exports in the `com.example` domain with a function body.
 */
export const ScaledTanh = defineLayer({
  domain: 'com.example',
  type: 'ScaledTanh',
  doc: 'y = alpha·tanh(beta·x), alpha learned per channel',
  attrs: { beta: attr.float({ gt: 0, default: 2 / 3, doc: 'input scale β' }) },
  params: (_a, [x]) => ({ alpha: { shape: [x[1], ...x.slice(2).map(() => 1)], init: { kind: 'constant', value: 1.7159 } } }),
  inferShapes: (_a, [x]) => {
    if (x.length < 2) throw new Error(`expected an input [N, C, ...], found rank ${x.length}`);
    return [x];
  },
  onnx: {
    since: 1,
    // Formal inputs: the data input, then the parameters in declaration order (the exporter
    // passes them in that order). β is baked into the body: one function overload per β.
    functionBody: (a): OnnxFunctionBody => ({
      inputs: ['X', 'alpha'],
      outputs: ['Y'],
      opsets: { '': 13 },
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['beta'], attrs: { value: { tensor: { dims: [], floats: [a.beta] } } } },
        { opType: 'Mul', inputs: ['X', 'beta'], outputs: ['BX'] },
        { opType: 'Tanh', inputs: ['BX'], outputs: ['T'] },
        { opType: 'Mul', inputs: ['T', 'alpha'], outputs: ['Y'] },
      ],
    }),
  },
});

// ---- cpu.ts: y = α_c·t, t = tanh(βx); dx = dy·α_c·β·(1 − t²); dα_c = Σ_{n, spatial} dy·t --------

// In cpu.ts, `import type {} from '@hubel/backend-cpu'` brings the CpuBackend type to kernels
// for 'cpu' (this file imports the package anyway). Types only: nothing is required at run time.

/** Channel of flat index i in an [N, C, inner] layout. */
const channelOf = (i: number, inner: number, channels: number) => Math.floor(i / inner) % channels;

export const scaledTanhCpu = defineKernel(ScaledTanh, 'cpu', {
  forward({ backend, attrs: { beta }, inputs: [x], params: { alpha } }) {
    const [, c] = x.shape;
    const inner = sizeOf(x.shape.slice(2));
    const y = backend.alloc(x.shape);
    const t = backend.alloc(x.shape); // saved for backward; the executor disposes it
    const xs = backend.data(x), ys = backend.data(y), ts = backend.data(t), as = backend.data(alpha);
    for (let i = 0; i < xs.length; i++) {
      ts[i] = Math.tanh(beta * xs[i]);
      ys[i] = as[channelOf(i, inner, c)] * ts[i];
    }
    return { outputs: [y], saved: { t } };
  },
  backward({ backend, attrs: { beta }, inputs: [x], params: { alpha }, saved: { t }, dOutputs: [dy], wants }) {
    const [, c] = x.shape;
    const inner = sizeOf(x.shape.slice(2));
    const ts = backend.data(t), g = backend.data(dy), as = backend.data(alpha);
    let dx;
    if (wants.inputs[0]) {
      dx = backend.alloc(x.shape);
      const o = backend.data(dx);
      for (let i = 0; i < o.length; i++) o[i] = g[i] * as[channelOf(i, inner, c)] * beta * (1 - ts[i] * ts[i]);
    }
    let dAlpha;
    if (wants.params) {
      dAlpha = backend.zeros(alpha.shape); // a fresh tensor: kernels never accumulate in place
      const o = backend.data(dAlpha);
      for (let i = 0; i < g.length; i++) o[channelOf(i, inner, c)] += g[i] * ts[i];
    }
    return { dInputs: [dx], dParams: { alpha: dAlpha } };
  },
});

// ---- webgpu.ts: the same through the backend's elementwise `map` and `reduce` blocks -----------

// Likewise `import type {} from '@hubel/backend-webgpu'` types this kernel; it sits inert until
// a backend named 'webgpu' exists, so the layer package never requires the WebGPU backend.

/** α read per channel of x viewed as [N, C, inner]: element (i / inner) % C. */
const perChannel = (shape: readonly number[]): Broadcast => ({ div: sizeOf(shape.slice(2)), mod: shape[1] });
// tanh as sign(v)·(1 − e^−2|v|)/(1 + e^−2|v|): cannot overflow, unlike a builtin that may
// compute (e^2v − 1)/(e^2v + 1). β is a uniform (s0), so one pipeline serves every β.
const TANH = 'let v = s0 * a; let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e);';

export const scaledTanhWebGpu = defineKernel(ScaledTanh, 'webgpu', {
  forward({ backend: { blocks }, attrs: { beta }, inputs: [x], params: { alpha } }) {
    const t = blocks.map({ name: 'scaledTanh.t', expr: TANH, inputs: [x], scalars: [beta] });
    const y = blocks.map({ name: 'scaledTanh', expr: 'a * b', inputs: [t, { t: alpha, broadcast: perChannel(x.shape) }] });
    return { outputs: [y], saved: { t } };
  },
  backward({ backend: { blocks }, attrs: { beta }, inputs: [x], params: { alpha }, saved: { t }, dOutputs: [dy], wants }) {
    const dx = wants.inputs[0]
      ? blocks.map({ name: 'scaledTanh.dx', expr: 'a * c * s0 * (1.0 - b * b)', inputs: [dy, t, { t: alpha, broadcast: perChannel(x.shape) }], scalars: [beta] })
      : undefined;
    let dAlpha;
    if (wants.params) {
      const terms = blocks.map({ name: 'scaledTanh.dalpha', expr: 'a * b', inputs: [dy, t] });
      dAlpha = blocks.reduce(terms, { axes: x.shape.map((_, i) => i).filter((i) => i !== 1), outShape: alpha.shape });
      terms.dispose();
    }
    return { dInputs: [dx], dParams: { alpha: dAlpha } };
  },
});

// ---- cases.ts: small configurations as data, reused by every suite ------------------------------

export const scaledTanhCases = defineCases(ScaledTanh, [
  { name: 'batch 4 × 5 features', inputs: [[4, 5]] },
  { name: 'NCHW [2, 3, 4, 4], beta 1', attrs: { beta: 1 }, inputs: [[2, 3, 4, 4]] },
  { name: 'NCL [3, 2, 6], beta 0.5', attrs: { beta: 0.5 }, inputs: [[3, 2, 6]] },
]);

// ---- index.ts: the plugin object, the package's front door -------------------------------------

export const scaledTanhLayers = definePlugin({
  name: 'example-scaled-tanh',
  layers: [ScaledTanh],
  kernels: [scaledTanhCpu, scaledTanhWebGpu],
  cases: scaledTanhCases,
});

// ---- checking it with Hubel's own suites ----------------------------------------------------------

// The suites register one test per case with a test runner's `it`; in a vitest file you pass
// `it` itself. Here a tiny runner collects the tests and runs them one after another.
type Test = { name: string; fn: () => Promise<void> };
function collect(): { test: (name: string, fn: () => Promise<void>) => void; run: (label: string) => Promise<number> } {
  const tests: Test[] = [];
  return {
    test: (name, fn) => void tests.push({ name, fn }),
    async run(label) {
      let failed = 0;
      for (const t of tests) {
        try {
          await t.fn();
          console.log(`${label} ok: ${t.name}`);
        } catch (e) {
          failed++;
          console.log(`${label} FAILED: ${t.name}\n${(e as Error).message}`);
        }
      }
      return failed;
    },
  };
}

async function main(outDir: string | undefined): Promise<void> {
  let failures = 0;

  // 1. Finite differences on the float64 CPU backend: dx and dα against the backward pass.
  const grad = collect();
  gradcheckPlugin(scaledTanhLayers, { test: grad.test, backend: () => createCpuBackend({ dtype: 'float64' }), with: [cpuBackend] });
  failures += await grad.run('gradcheck');

  // 2. The WebGPU kernel against the CPU one on the same cases (float32 on both).
  let gpu: WebGpuBackend | undefined;
  try {
    gpu = await createWebGpuBackend();
  } catch (e) {
    console.log(`webgpu: no adapter, parity not checked (${(e as Error).message.split('\n')[0]})`);
  }
  if (gpu) {
    const parity = collect();
    const device = gpu;
    parityPlugin(scaledTanhLayers, { test: parity.test, backend: () => device, reference: () => createCpuBackend(), with: [cpuBackend] });
    failures += await parity.run('webgpu parity');
    gpu.dispose();
  }

  // 3. ONNX: export a model using the layer, check the file, import it back and compare.
  const registry = new Registry().use(cpuBackend, scaledTanhLayers);
  const backend = createCpuBackend();
  const model = new Sequential([null, 3, 2, 2], { registry }).add(ScaledTanh, { beta: 0.5 }, 'act').build({ backend, seed: 1 });
  const bytes = await exportOnnx(model);
  const proto = decodeModel(bytes);
  const fn = proto.functions[0];
  console.log(`onnx: node ${proto.graph.nodes[0].domain}.${proto.graph.nodes[0].opType}, function body ${fn.nodes.map((n) => n.opType).join(' → ')}`);

  const r = new Rng(7);
  const shape = [2, 3, 2, 2];
  const input = Float32Array.from({ length: sizeOf(shape) }, () => r.normal());
  const x = backend.tensor(input, shape);
  const before = model.predict(x);
  const copy = importOnnx(bytes, { registry, backend });
  const after = copy.predict(x);
  const [a, b] = [await before.read(), await after.read()];
  const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  console.log(`onnx round trip: max |diff| ${diff}`);
  if (diff !== 0) failures++;
  if (outDir) {
    writeFileSync(join(outDir, 'scaled-tanh.onnx'), bytes);
    writeFileSync(join(outDir, 'scaled-tanh.json'), JSON.stringify({ input: { name: model.inputs[0].name, shape, values: Array.from(input) }, output: { name: model.outputs[0], values: Array.from(a) } }));
    console.log(`onnx file written to ${join(outDir, 'scaled-tanh.onnx')}`);
  }
  for (const t of [x, before, after]) t.dispose();
  model.dispose();
  copy.dispose();

  console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
  process.exitCode = failures ? 1 : 0;
}

await main(process.argv[2]);
