// A backend written outside Hubel: tensors as plain JavaScript arrays of numbers (so float64
// throughout), with kernels for three existing layers (Linear, Tanh, EuclideanLoss). Small
// enough to read whole; a real backend adds pooling, shared blocks (GEMM, im2col) and speed.
//
// Run: node --import tsx docs/guides/examples/js-backend.ts
// It checks the new kernels with the layers' own test cases (finite differences), trains a
// small network on the new backend, and compares its predictions with the CPU reference.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import {
  ArrayDataset,
  HubelError,
  Registry,
  Rng,
  Sequential,
  Sgd,
  Tensor,
  Trainer,
  defineKernel,
  definePlugin,
  fmtShape,
  sameShape,
  sizeOf,
  type Backend,
  type BackendStats,
  type CoreOps,
  type DType,
  type Shape,
  type TypedArray,
} from '@hubel/core';
import { gradcheckPlugin } from '@hubel/core/testing';
import { Tanh, activationLayers } from '@hubel/layers-activation';
import { Linear, denseLayers } from '@hubel/layers-dense';
import { EuclideanLoss, lossLayers } from '@hubel/layers-loss';

// ---- backend.ts: storage and the core ops ------------------------------------------------------

/**
 * Tensors are `number[]` (float64 values; int32 tensors hold integers). A backend knows nothing
 * about layers: it stores tensors and offers the few ops core's executor and optimizers need.
 */
export class JsBackend implements Backend {
  readonly name = 'js';
  readonly floatType = 'float64';
  readonly description = 'plain JavaScript arrays (guide example)';
  readonly ops: CoreOps = createOps(this);
  #live = 0;
  #created = 0;

  /** The array behind a tensor: only this backend and its kernels touch it. */
  data(t: Tensor): number[] {
    if (t.backend !== this) throw new HubelError('backend', `${t} is not on this js backend`);
    return t.storage as number[];
  }

  /** A new zero-filled tensor; float dtypes become float64, the only float type here. */
  alloc(shape: Shape, dtype?: DType): Tensor {
    for (const d of shape) if (!(Number.isInteger(d) && d >= 0)) throw new HubelError('shape', `js backend: bad shape ${fmtShape(shape)}`);
    this.#live++;
    this.#created++;
    return new Tensor(this, [...shape], dtype === 'int32' ? 'int32' : 'float64', new Array<number>(sizeOf(shape)).fill(0));
  }

  tensor(values: ArrayLike<number>, shape: Shape, dtype?: DType): Tensor {
    if (values.length !== sizeOf(shape)) throw new HubelError('shape', `js backend: ${values.length} values for shape ${fmtShape(shape)}`);
    const t = this.alloc(shape, dtype);
    const a = this.data(t);
    for (let i = 0; i < a.length; i++) a[i] = values[i];
    return t;
  }

  zeros(shape: Shape, dtype?: DType): Tensor {
    return this.alloc(shape, dtype);
  }

  async read(t: Tensor): Promise<TypedArray> {
    return this.readSync(t);
  }

  readSync(t: Tensor): TypedArray {
    return t.dtype === 'int32' ? Int32Array.from(this.data(t)) : Float64Array.from(this.data(t));
  }

  /** Called by `tensor.dispose()`: a pooling backend would keep the storage for reuse. */
  release(): void {
    this.#live--;
  }

  async sync(): Promise<void> {}

  stats(): BackendStats {
    return { liveTensors: this.#live, buffersCreated: this.#created };
  }
}

function createOps(be: JsBackend): CoreOps {
  const same = (a: Tensor, b: Tensor, op: string) => {
    if (!sameShape(a.shape, b.shape)) throw new HubelError('shape', `${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  };
  return {
    add(a, b) {
      same(a, b, 'add');
      const [x, y] = [be.data(a), be.data(b)];
      return be.tensor(x.map((v, i) => v + y[i]), a.shape);
    },
    copy: (a) => be.tensor(be.data(a), a.shape, a.dtype),
    fill: (shape, value) => be.tensor(new Array<number>(sizeOf(shape)).fill(value), shape),
    assign(dst, src) {
      same(dst, src, 'assign');
      be.data(dst).splice(0, dst.size, ...be.data(src));
    },
    // SGD with momentum μ, dampening and L2 decay λ: v ← μv + (1 − dampening)(g + λw); w ← w − lr·v.
    sgdUpdate(param, grad, velocity, o) {
      same(param, grad, 'sgdUpdate');
      const w = be.data(param), g = be.data(grad), v = velocity ? be.data(velocity) : undefined;
      for (let i = 0; i < w.length; i++) {
        let d = g[i] + o.weightDecay * w[i];
        if (v) {
          v[i] = o.momentum * v[i] + (1 - o.dampening) * d;
          d = o.nesterov ? d + o.momentum * v[i] : v[i];
        }
        w[i] -= o.lr * d;
      }
    },
    adamUpdate(param, grad, mT, vT, o) {
      same(param, grad, 'adamUpdate');
      const w = be.data(param), g = be.data(grad), m = be.data(mT), v = be.data(vT);
      const c1 = 1 - o.beta1 ** o.step, c2 = 1 - o.beta2 ** o.step;
      for (let i = 0; i < w.length; i++) {
        const gi = o.decoupled ? g[i] : g[i] + o.weightDecay * w[i];
        m[i] = o.beta1 * m[i] + (1 - o.beta1) * gi;
        v[i] = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
        const step = m[i] / c1 / (Math.sqrt(v[i] / c2) + o.eps);
        w[i] -= o.lr * (o.decoupled ? step + o.weightDecay * w[i] : step);
      }
    },
  };
}

// Kernels for 'js' see `backend` as a JsBackend: the backend adds itself to core's type map.
declare module '@hubel/core' {
  interface BackendTypes {
    js: JsBackend;
  }
}

// ---- kernels: the layers' arithmetic on this backend's storage ---------------------------------

// Linear (ONNX Gemm): y = x·Wᵀ + b, x [N, in], W [out, in]; dx = dy·W, dW = dyᵀ·x, dB = Σ_n dy.
export const linearJs = defineKernel(Linear, 'js', {
  forward({ backend, inputs: [x], params: { W, B } }) {
    const [n, k] = x.shape, m = W.shape[0];
    const xs = backend.data(x), w = backend.data(W), b = B ? backend.data(B) : undefined;
    const y = backend.alloc([n, m]), ys = backend.data(y);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < m; o++) {
        let s = b ? b[o] : 0;
        for (let i = 0; i < k; i++) s += xs[r * k + i] * w[o * k + i];
        ys[r * m + o] = s;
      }
    }
    return { outputs: [y] };
  },
  backward({ backend, inputs: [x], params: { W, B }, dOutputs: [dy], wants }) {
    const [n, k] = x.shape, m = W.shape[0];
    const xs = backend.data(x), w = backend.data(W), g = backend.data(dy);
    let dx, dW, dB;
    if (wants.inputs[0]) {
      dx = backend.alloc(x.shape);
      const d = backend.data(dx);
      for (let r = 0; r < n; r++) for (let o = 0; o < m; o++) for (let i = 0; i < k; i++) d[r * k + i] += g[r * m + o] * w[o * k + i];
    }
    if (wants.params) {
      dW = backend.alloc(W.shape);
      const d = backend.data(dW);
      for (let r = 0; r < n; r++) for (let o = 0; o < m; o++) for (let i = 0; i < k; i++) d[o * k + i] += g[r * m + o] * xs[r * k + i];
      if (B) {
        dB = backend.alloc(B.shape);
        const db = backend.data(dB);
        for (let r = 0; r < n; r++) for (let o = 0; o < m; o++) db[o] += g[r * m + o];
      }
    }
    return { dInputs: [dx], dParams: { W: dW, B: dB } };
  },
});

// Tanh: y = tanh x; dx = dy·(1 − y²), from the output the executor hands back to backward.
export const tanhJs = defineKernel(Tanh, 'js', {
  forward({ backend, inputs: [x] }) {
    return { outputs: [backend.tensor(backend.data(x).map(Math.tanh), x.shape)] };
  },
  backward({ backend, outputs: [y], dOutputs: [dy], wants }) {
    if (!wants.inputs[0]) return { dInputs: [undefined] };
    const ys = backend.data(y), g = backend.data(dy);
    return { dInputs: [backend.tensor(g.map((v, i) => v * (1 - ys[i] * ys[i])), y.shape)] };
  },
});

// EuclideanLoss: C = s·½Σ(x − t)², s = 1/N ('mean') or 1 ('sum'); ∂C/∂x = dC·s·(x − t) = −∂C/∂t.
export const euclideanLossJs = defineKernel(EuclideanLoss, 'js', {
  forward({ backend, attrs, inputs: [x, t] }) {
    const xs = backend.data(x), ts = backend.data(t);
    const sum = xs.reduce((acc, v, i) => acc + (v - ts[i]) ** 2, 0);
    return { outputs: [backend.tensor([(0.5 * sum) / (attrs.reduction === 'mean' ? x.shape[0] : 1)], [])] };
  },
  backward({ backend, attrs, inputs: [x, t], dOutputs: [dC], wants }) {
    const s = backend.data(dC)[0] / (attrs.reduction === 'mean' ? x.shape[0] : 1);
    const xs = backend.data(x), ts = backend.data(t);
    return {
      dInputs: [
        wants.inputs[0] ? backend.tensor(xs.map((v, i) => s * (v - ts[i])), x.shape) : undefined,
        wants.inputs[1] ? backend.tensor(xs.map((v, i) => s * (ts[i] - v)), t.shape) : undefined,
      ],
    };
  },
});

// ---- index.ts: the plugin registers the backend factory and its kernels ------------------------

export const jsBackend = definePlugin({
  name: 'example-js-backend',
  backends: [{ name: 'js', create: () => new JsBackend() }],
  kernels: [linearJs, tanhJs, euclideanLossJs],
});

// ---- using it ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  let failures = 0;

  // 1. The kernels against finite differences, on the layers' own test cases (float64 here).
  const covered = new Set<unknown>([Linear, Tanh, EuclideanLoss]);
  const cases = [...(denseLayers.cases ?? []), ...(activationLayers.cases ?? []), ...(lossLayers.cases ?? [])].filter((c) => covered.has(c.layer));
  const tests: { name: string; fn: () => Promise<void> }[] = [];
  gradcheckPlugin(definePlugin({ name: 'js-cases', cases }), { test: (name, fn) => void tests.push({ name, fn }), backend: () => new JsBackend(), with: [jsBackend] });
  for (const t of tests) {
    try {
      await t.fn();
      console.log(`gradcheck ok: ${t.name}`);
    } catch (e) {
      failures++;
      console.log(`gradcheck FAILED: ${t.name}\n${(e as Error).message}`);
    }
  }

  // 2. Train on it: the registry creates the backend by name, like any other. (The layer
  // plugins are there for step 3, which needs the CPU kernels too.)
  const registry = new Registry().use(jsBackend, cpuBackend, denseLayers, activationLayers, lossLayers);
  const backend = await registry.createBackend('js');
  const r = new Rng(3);
  const xs = Float64Array.from({ length: 128 }, () => r.range(-2, 2));
  const data = new ArrayDataset(xs, [1], xs.map((x) => Math.sin(2 * x)), [1]); // learn y = sin(2x)
  const model = new Sequential([null, 1], { registry }).add(Linear, { outFeatures: 16 }).add(Tanh).add(Linear, { outFeatures: 1 }).build({ backend, seed: 3 });
  const trainer = new Trainer({ model, loss: EuclideanLoss, optimizer: new Sgd({ lr: 0.05, momentum: 0.9 }), seed: 3 });
  const { history } = await trainer.fit({ train: data, epochs: 60, batchSize: 16 });
  const [first, last] = [history[0].trainLoss, history.at(-1)!.trainLoss];
  console.log(`trained on '${backend.name}' (${backend.description}): loss ${first.toFixed(4)} → ${last.toFixed(4)} in ${history.length} epochs`);
  if (!(last < first / 5)) failures++;

  // 3. The same weights on the CPU reference backend give the same predictions.
  const cpu = createCpuBackend({ dtype: 'float64' });
  const weights = Object.fromEntries(await Promise.all(model.params().map(async (p) => [p.key, await p.tensor.read()] as const)));
  const twin = new Sequential([null, 1], { registry }).add(Linear, { outFeatures: 16 }).add(Tanh).add(Linear, { outFeatures: 1 }).build({ backend: cpu, initialValues: weights });
  const probe = Float64Array.from({ length: 9 }, (_, i) => i / 2 - 2);
  const inputs = [backend.tensor(probe, [9, 1]), cpu.tensor(probe, [9, 1])];
  const outputs = [model.predict(inputs[0]), twin.predict(inputs[1])]; // fresh tensors we own
  const [a, b] = [await outputs[0].read(), await outputs[1].read()];
  const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  console.log(`js vs cpu predictions: max |diff| ${diff.toExponential(1)}`);
  if (!(diff < 1e-9)) failures++;
  for (const t of [...inputs, ...outputs]) t.dispose();
  model.dispose();
  twin.dispose();
  trainer.optimizer.dispose(); // its momentum slots live on the backend too
  const { liveTensors } = backend.stats();
  console.log(`live tensors left on 'js': ${liveTensors}`);
  if (liveTensors !== 0) failures++;

  console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
  process.exitCode = failures ? 1 : 0;
}

await main();
