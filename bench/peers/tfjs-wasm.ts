// TensorFlow.js's WebAssembly backend (XNNPACK kernels) as a peer. A model spec is translated
// node by node from its ONNX form (bench/peers/onnx.ts) into TF.js ops in NHWC, the layout
// TF.js's convolutions want: weights and the input are transposed once, when the run is
// prepared, so the timed run is only the forward pass and the read-back of its result.
import type { Tensor as TfTensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { readTensor, type OnnxAttributeProto, type OnnxNodeProto } from '@hubel/io';
import type { PeerModelSpec, PeerSpec } from '../workload.js';
import { reason, PeerUnsupported, type PeerLoad, type PeerRun } from './engine.js';
import { specProto } from './onnx.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type TfWasm = typeof import('@tensorflow/tfjs-backend-wasm');

/** Which of tfjs-backend-wasm's three binaries runs, and why that one. */
export interface TfjsWasmBuild {
  /** 'threaded-simd', 'simd' or 'plain'. */
  readonly build: 'threaded-simd' | 'simd' | 'plain';
  /** The backend's flag WASM_HAS_SIMD_SUPPORT, read after it initialized. */
  readonly simd: boolean;
  /** The backend's flag WASM_HAS_MULTITHREAD_SUPPORT, read after it initialized. */
  readonly multithread: boolean;
  /** Threads its kernels use (the backend's `getThreadsCount()`). */
  readonly threads: number;
  /** Why the build is not the threaded SIMD one; absent when it is. */
  readonly why?: string;
}

/**
 * Loads @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm (devDependencies of bench
 * only) and makes 'wasm' the TF.js backend, asking for `threads` threads. Resolves to the
 * engine, or to the reason it cannot be loaded; never rejects.
 *
 * TF.js picks its binary from the flags WASM_HAS_SIMD_SUPPORT and WASM_HAS_MULTITHREAD_SUPPORT;
 * the engine's `facts` report the flags it found and the build that runs. On Node, 4.22 always
 * reports no multithread support (the flag is hard-wired false when IS_NODE,
 * tensorflow/tfjs#3830), so it runs the SIMD build on one thread whatever `threads` asks.
 */
export async function loadTfjsWasm(threads: number): Promise<PeerLoad> {
  const id = { key: 'tfjs_wasm', vs: 'tfjs' };
  let tf: Tf, wasm: TfWasm;
  try {
    tf = await import('@tensorflow/tfjs-core');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return { ...id, label: 'tfjs-backend-wasm', error: `cannot load TensorFlow.js (${reason(e)}); @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm are devDependencies of bench: run pnpm install` };
  }
  const label = `tfjs-backend-wasm ${wasm.version_wasm}`;
  let build: TfjsWasmBuild;
  try {
    // Takes effect only in the threaded build; must come before the backend initializes.
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) return { ...id, label, error: 'TF.js could not initialize its wasm backend (setBackend returned false)' };
    await tf.ready();
    build = await wasmBuild(tf, wasm);
  } catch (e) {
    return { ...id, label, error: `TF.js's wasm backend failed to initialize: ${reason(e)}` };
  }
  const facts: Record<string, string | number | boolean> = { tfjs_version: wasm.version_wasm, tfjs_build: build.build };
  if (build.why) facts.tfjs_build_why = build.why;
  const full = `${label} (${build.build} build, ${build.threads} thread${build.threads === 1 ? '' : 's'})`;
  return {
    ...id,
    label: full,
    engine: {
      ...id,
      label: full,
      threads: build.threads,
      facts,
      prepare: (spec) => prepare(tf, spec),
    },
  };
}

async function wasmBuild(tf: Tf, wasm: TfWasm): Promise<TfjsWasmBuild> {
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const multithread = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const threads = wasm.getThreadsCount();
  if (simd && multithread) return { build: 'threaded-simd', simd, multithread, threads };
  let why: string;
  if (!multithread && tf.env().getBool('IS_NODE')) {
    why =
      'under Node, tfjs-backend-wasm sets WASM_HAS_MULTITHREAD_SUPPORT=false (tensorflow/tfjs#3830); forcing the flag fails: ' +
      "the threaded build starts its pthread workers from blob: URLs, which Node's Worker refuses (ERR_WORKER_PATH)";
  } else if (!multithread) why = 'this JavaScript engine lacks SharedArrayBuffer transfer or WebAssembly threads';
  else why = 'this JavaScript engine lacks WebAssembly SIMD';
  if (!simd) why += '; no WebAssembly SIMD either';
  return { build: simd ? 'simd' : 'plain', simd, multithread, threads, why };
}

async function prepare(tf: Tf, spec: PeerSpec): Promise<PeerRun> {
  if (spec.kind === 'matmul') {
    const a = tf.tensor2d(spec.a, [spec.m, spec.k]);
    const b = tf.tensor2d(spec.b, [spec.k, spec.n]);
    const forward = () => tf.matMul(a, b);
    return {
      run() {
        const c = forward();
        c.dataSync();
        c.dispose();
      },
      async output() {
        const c = forward();
        const out = Float32Array.from(c.dataSync());
        c.dispose();
        return out;
      },
      dispose: () => tf.dispose([a, b]),
    };
  }
  return prepareModel(tf, spec);
}

/** What the translation knows of a value: its TF.js shape and layout. */
interface ValueMeta {
  readonly shape: readonly number[];
  /** A 4-D image tensor in NHWC (its ONNX counterpart is NCHW). */
  readonly nhwc: boolean;
  /** Set on an NHWC tensor flattened to [N, H·W·C]: its ONNX counterpart is ordered C, H, W. */
  readonly chw?: readonly [number, number, number];
}

type Step = (env: Map<string, TfTensor>) => void;

function attr(node: OnnxNodeProto, name: string): OnnxAttributeProto | undefined {
  return node.attributes.find((a) => a.name === name);
}
const int = (node: OnnxNodeProto, name: string, def: number) => attr(node, name)?.i ?? def;
const float = (node: OnnxNodeProto, name: string, def: number) => attr(node, name)?.f ?? def;
const ints = (node: OnnxNodeProto, name: string, def: readonly number[]) => attr(node, name)?.ints ?? def;

/** NCHW (n, c, h, w) ↔ NHWC copies on the host. */
function nchwToNhwc(x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return y;
}
function nhwcToNchw(y: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const x = new Float32Array(y.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) x[(b * c + ch) * h * w + i] = y[(b * h * w + i) * c + ch];
  return x;
}

async function prepareModel(tf: Tf, spec: PeerModelSpec): Promise<PeerRun> {
  const proto = await specProto(spec);
  const g = proto.graph;
  if (proto.functions.length) throw new PeerUnsupported(`the model uses custom-domain functions (${proto.functions.map((f) => f.name).join(', ')}), which this translation does not cover`);
  const init = new Map(g.initializers.map((t) => [t.name, t]));
  const weight = (name: string) => {
    const t = init.get(name);
    if (!t) throw new PeerUnsupported(`'${name}' is not an initializer; the translation needs constant weights`);
    const h = readTensor(t);
    if (!(h.values instanceof Float32Array)) throw new PeerUnsupported(`initializer '${name}' is not float32`);
    return { dims: h.dims, values: h.values };
  };
  const consumers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const graphOutput = g.outputs[0].name;
  for (const o of g.outputs) consumers.set(o.name, (consumers.get(o.name) ?? 0) + 1);

  const owned: TfTensor[] = [];
  const keep = <T extends TfTensor>(t: T): T => (owned.push(t), t);
  const meta = new Map<string, ValueMeta>();
  const steps: Step[] = [];
  const fusedRelu = new Set<string>();

  const inputName = g.inputs[0].name;
  const shape = spec.inputShape;
  const input =
    shape.length === 4
      ? keep(tf.tensor4d(nchwToNhwc(spec.input, shape), [shape[0], shape[2], shape[3], shape[1]]))
      : keep(tf.tensor(spec.input, [...shape]));
  meta.set(inputName, shape.length === 4 ? { shape: input.shape, nhwc: true } : { shape: [...shape], nhwc: false });

  try {
    g.nodes.forEach((node, i) => {
      const where = `node '${node.name}' (${node.opType})`;
      const inName = node.inputs[0];
      const out = node.outputs[0];
      const x = meta.get(inName);
      if (!x) throw new PeerUnsupported(`${where} reads '${inName}', which the translation has not produced`);
      // Conv/Gemm followed by a Relu that alone reads their result: one fused TF.js op, as
      // TF.js's own layers and graph models run them.
      const next = g.nodes[i + 1];
      const fuseRelu = next?.opType === 'Relu' && next.inputs[0] === out && consumers.get(out) === 1;
      const alias = (meta0: ValueMeta) => {
        meta.set(out, meta0);
        steps.push((env) => env.set(out, env.get(inName)!));
      };
      switch (node.opType) {
        case 'Conv': {
          if (!x.nhwc) throw new PeerUnsupported(`${where}: input is not an image tensor`);
          const group = int(node, 'group', 1);
          if (group !== 1) throw new PeerUnsupported(`${where}: group ${group}; TF.js has no grouped convolution (only depthwise)`);
          if ((attr(node, 'auto_pad')?.s ?? 'NOTSET') !== 'NOTSET') throw new PeerUnsupported(`${where}: auto_pad is not translated`);
          const w = weight(node.inputs[1]);
          const [o, ci, kh, kw] = w.dims;
          // ONNX [O, I, kh, kw] → TF.js [kh, kw, I, O].
          const f = new Float32Array(w.values.length);
          for (let a = 0; a < o; a++) for (let b = 0; b < ci; b++) for (let r = 0; r < kh; r++) for (let s = 0; s < kw; s++) f[((r * kw + s) * ci + b) * o + a] = w.values[((a * ci + b) * kh + r) * kw + s];
          const filter = keep(tf.tensor4d(f, [kh, kw, ci, o]));
          const bias = node.inputs[2] ? keep(tf.tensor1d(weight(node.inputs[2]).values)) : undefined;
          const [sh, sw] = ints(node, 'strides', [1, 1]);
          const [dh, dw] = ints(node, 'dilations', [1, 1]);
          const [pt, pl, pb, pr] = ints(node, 'pads', [0, 0, 0, 0]);
          const pad = pt || pl || pb || pr ? ([[0, 0], [pt, pb], [pl, pr], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : 'valid';
          const [n, h, wi] = x.shape;
          const ho = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
          const wo = Math.floor((wi + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
          meta.set(out, { shape: [n, ho, wo, o], nhwc: true });
          const activation = fuseRelu ? 'relu' : 'linear';
          if (fuseRelu) fusedRelu.add(out);
          steps.push((env) => env.set(out, tf.fused.conv2d({ x: env.get(inName) as Tensor4D, filter, strides: [sh, sw], pad, dataFormat: 'NHWC', dilations: [dh, dw], bias, activation })));
          return;
        }
        case 'Gemm': {
          if (x.shape.length !== 2) throw new PeerUnsupported(`${where}: input is not a matrix`);
          if (int(node, 'transA', 0) || float(node, 'alpha', 1) !== 1 || float(node, 'beta', 1) !== 1) throw new PeerUnsupported(`${where}: only transA = 0, alpha = beta = 1 are translated`);
          const transB = int(node, 'transB', 0) === 1;
          const b = weight(node.inputs[1]);
          const [k, units] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
          const onnxB = (j: number, u: number) => (transB ? b.values[u * k + j] : b.values[j * units + u]);
          // TF.js [in, out], rows in the order of TF.js's input: C, H, W order of a flattened
          // NCHW image in ONNX, H, W, C order of the flattened NHWC image here.
          const wt = new Float32Array(k * units);
          const row = (jTf: number, jOnnx: number) => {
            for (let u = 0; u < units; u++) wt[jTf * units + u] = onnxB(jOnnx, u);
          };
          if (x.chw) {
            const [c, h, w] = x.chw;
            for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) row(p * c + ch, ch * h * w + p);
          } else for (let j = 0; j < k; j++) row(j, j);
          const weights = keep(tf.tensor2d(wt, [k, units]));
          let bias: TfTensor | undefined;
          if (node.inputs[2]) {
            const c = weight(node.inputs[2]);
            if (c.values.length !== units) throw new PeerUnsupported(`${where}: only a bias of one value per unit is translated`);
            bias = keep(tf.tensor1d(c.values));
          }
          meta.set(out, { shape: [x.shape[0], units], nhwc: false });
          const activation = fuseRelu ? 'relu' : 'linear';
          if (fuseRelu) fusedRelu.add(out);
          steps.push((env) => env.set(out, tf.fused.matMul({ a: env.get(inName) as Tensor2D, b: weights, bias, activation })));
          return;
        }
        case 'Relu':
          if (fusedRelu.has(inName)) return alias(x);
          meta.set(out, x);
          steps.push((env) => env.set(out, tf.relu(env.get(inName)!)));
          return;
        case 'Dropout':
        case 'Identity':
          // Inference: Dropout passes its input through.
          return alias(x);
        case 'LRN': {
          if (!x.nhwc) throw new PeerUnsupported(`${where}: input is not an image tensor`);
          const size = int(node, 'size', 0);
          if (size % 2 !== 1) throw new PeerUnsupported(`${where}: size ${size}; TF.js's window is 2·depthRadius + 1, always odd`);
          // ONNX: x / (bias + alpha/size · Σ x²)^beta over `size` channels centred on c;
          // TF.js: x / (bias + alpha · Σ x²)^beta over c ± depthRadius.
          const radius = (size - 1) / 2, alpha = float(node, 'alpha', 1e-4) / size, beta = float(node, 'beta', 0.75), bias = float(node, 'bias', 1);
          meta.set(out, x);
          steps.push((env) => env.set(out, tf.localResponseNormalization(env.get(inName) as Tensor4D, radius, bias, alpha, beta)));
          return;
        }
        case 'MaxPool': {
          if (!x.nhwc) throw new PeerUnsupported(`${where}: input is not an image tensor`);
          const [kh, kw] = ints(node, 'kernel_shape', []);
          const [sh, sw] = ints(node, 'strides', [1, 1]);
          if (ints(node, 'pads', [0, 0, 0, 0]).some((p) => p !== 0) || ints(node, 'dilations', [1, 1]).some((d) => d !== 1) || int(node, 'ceil_mode', 0) !== 0 || (attr(node, 'auto_pad')?.s ?? 'NOTSET') !== 'NOTSET') {
            throw new PeerUnsupported(`${where}: only unpadded, undilated, floor-mode pooling is translated`);
          }
          const [n, h, w, c] = x.shape;
          meta.set(out, { shape: [n, Math.floor((h - kh) / sh) + 1, Math.floor((w - kw) / sw) + 1, c], nhwc: true });
          steps.push((env) => env.set(out, tf.maxPool(env.get(inName) as Tensor4D, [kh, kw], [sh, sw], 'valid')));
          return;
        }
        case 'Flatten': {
          if (int(node, 'axis', 1) !== 1) throw new PeerUnsupported(`${where}: only axis 1 is translated`);
          const [n, ...rest] = x.shape;
          const features = rest.reduce((a, b) => a * b, 1);
          meta.set(out, x.nhwc ? { shape: [n, features], nhwc: false, chw: [rest[2], rest[0], rest[1]] } : { shape: [n, features], nhwc: false, chw: x.chw });
          steps.push((env) => env.set(out, tf.reshape(env.get(inName)!, [n, features])));
          return;
        }
        default:
          throw new PeerUnsupported(`${where}: no TF.js translation for ONNX op ${node.opType}`);
      }
    });
  } catch (e) {
    tf.dispose(owned);
    throw e;
  }

  const y = meta.get(graphOutput)!;
  const forward = () =>
    tf.tidy(() => {
      const env = new Map<string, TfTensor>([[inputName, input]]);
      for (const step of steps) step(env);
      return env.get(graphOutput)!;
    });
  return {
    run() {
      const t = forward();
      t.dataSync();
      t.dispose();
    },
    async output() {
      const t = forward();
      const v = Float32Array.from(t.dataSync() as Float32Array);
      t.dispose();
      if (y.nhwc) return nhwcToNchw(v, y.shape);
      if (y.chw) {
        // Back to the C, H, W order of the flattened NCHW image.
        const [c, h, w] = y.chw;
        const out = new Float32Array(v.length);
        for (let b = 0; b < y.shape[0]; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[b * c * h * w + ch * h * w + p] = v[b * c * h * w + p * c + ch];
        return out;
      }
      return v;
    },
    dispose: () => tf.dispose(owned),
  };
}
