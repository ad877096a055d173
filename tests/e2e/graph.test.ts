// The executor: topological order, fan-out summation, ownership, and its error messages.
import { createCpuBackend, cpuBackend } from '@hubel/backend-cpu';
import { attr, defineKernel, defineLayer, definePlugin, GraphBuilder, HubelError, Registry, Sequential } from '@hubel/core';
import { denseLayers, Linear } from '@hubel/layers-dense';
import { describe, expect, it } from 'vitest';

// y = k·x, a minimal layer written the way a third party would.
const Scale = defineLayer({
  domain: 'test',
  type: 'Scale',
  attrs: { k: attr.float({ default: 2 }) },
  inferShapes: (_a, [x]) => [x],
});
const scaleCpu = defineKernel(Scale, 'cpu', {
  forward({ backend, attrs, inputs: [x] }) {
    const y = backend.alloc(x.shape);
    const xs = backend.data(x), ys = backend.data(y);
    for (let i = 0; i < xs.length; i++) ys[i] = attrs.k * xs[i];
    return { outputs: [y] };
  },
  backward({ backend, attrs, dOutputs: [dy] }) {
    const dx = backend.alloc(dy.shape);
    const d = backend.data(dy), o = backend.data(dx);
    for (let i = 0; i < d.length; i++) o[i] = attrs.k * d[i];
    return { dInputs: [dx] };
  },
});
// z = a + b, two inputs, to build a diamond.
const Sum2 = defineLayer({ domain: 'test', type: 'Sum2', attrs: {}, inputs: ['A', 'B'], inferShapes: (_a, [a]) => [a] });
const sum2Cpu = defineKernel(Sum2, 'cpu', {
  forward: ({ backend, inputs: [a, b] }) => ({ outputs: [backend.ops.add(a, b)] }),
  backward: ({ backend, dOutputs: [dy] }) => ({ dInputs: [backend.ops.copy(dy), backend.ops.copy(dy)] }),
});
// z = a (+ b when given): a trailing optional input, like ONNX's.
const MaybeAdd = defineLayer({ domain: 'test', type: 'MaybeAdd', attrs: {}, inputs: ['A', 'B'], optionalInputs: 1, inferShapes: (_a, [a]) => [a] });
const maybeAddCpu = defineKernel(MaybeAdd, 'cpu', {
  forward: ({ backend, inputs }) => ({ outputs: [inputs.length === 2 ? backend.ops.add(inputs[0], inputs[1]) : backend.ops.copy(inputs[0])] }),
  backward: ({ backend, inputs, dOutputs: [dy] }) => ({ dInputs: inputs.map(() => backend.ops.copy(dy)) }),
});
// Two outputs: y = 2x and z = 3x; nodes may bind only the first (ONNX's optional outputs).
const TwoWays = defineLayer({ domain: 'test', type: 'TwoWays', attrs: {}, outputs: ['Y', 'Z'], inferShapes: (_a, [x]) => [x, x] });
const twoWaysCpu = defineKernel(TwoWays, 'cpu', {
  forward({ backend, inputs: [x] }) {
    const y = backend.alloc(x.shape), z = backend.alloc(x.shape);
    const xs = backend.data(x), ys = backend.data(y), zs = backend.data(z);
    for (let i = 0; i < xs.length; i++) (ys[i] = 2 * xs[i]), (zs[i] = 3 * xs[i]);
    return { outputs: [y, z] };
  },
  backward({ backend, dOutputs: [dy, dz] }) {
    const dx = backend.alloc(dy.shape);
    const a = backend.data(dy), b = backend.data(dz), o = backend.data(dx);
    for (let i = 0; i < a.length; i++) o[i] = 2 * a[i] + 3 * b[i];
    return { dInputs: [dx] };
  },
});
const testLayers = definePlugin({ name: 'test-layers', layers: [Scale, Sum2, MaybeAdd, TwoWays], kernels: [scaleCpu, sum2Cpu, maybeAddCpu, twoWaysCpu] });
const registry = new Registry().use(cpuBackend, denseLayers, testLayers);

describe('executor', () => {
  it('sums gradients where a value feeds several nodes (diamond x → 2x, 3x → sum)', async () => {
    const backend = createCpuBackend({ dtype: 'float64' });
    const g = new GraphBuilder({ registry });
    const x = g.input('x', [null, 3]);
    const a = g.add(Scale, { k: 2 }, x, { name: 'two' });
    const b = g.add(Scale, { k: 3 }, x, { name: 'three' });
    g.output(g.add(Sum2, {}, [a, b], { name: 'sum' }));
    const model = g.build({ backend });
    const xt = backend.tensor([1, -2, 0.5], [1, 3]);
    const run = model.forward({ x: xt }, { mode: 'train' });
    expect(Array.from(await run.get('sum').read())).toEqual([5, -10, 2.5]);
    const dy = backend.tensor([1, 10, 100], [1, 3]);
    const grads = run.backward({ seeds: { sum: dy }, inputs: ['x'] });
    // d(2x + 3x)/dx = 5 per element, times the seed.
    expect(Array.from(await grads.inputs.get('x')!.read())).toEqual([5, 50, 500]);
    grads.dispose();
    run.dispose();
  });

  it('lets a node leave out a trailing optional input', async () => {
    const backend = createCpuBackend();
    const g = new GraphBuilder({ registry });
    g.input('x', [null, 2]);
    g.input('y', [null, 2]);
    g.add(MaybeAdd, {}, ['x'], { name: 'one' });
    g.add(MaybeAdd, {}, ['x', 'y'], { name: 'two' });
    expect(() => g.add(MaybeAdd, {}, [], { name: 'none' })).toThrowError(/node 'none' \(test.MaybeAdd\): expected 1 to 2 input\(s\) \(A, B\), found 0/);
    g.output('one', 'two');
    const model = g.build({ backend });
    const run = model.forward({ x: backend.tensor([1, 2], [1, 2]), y: backend.tensor([10, 20], [1, 2]) });
    expect(Array.from(await run.get('one').read())).toEqual([1, 2]);
    expect(Array.from(await run.get('two').read())).toEqual([11, 22]);
    run.dispose();
  });

  it('binds only the outputs a node names; unbound ones get zero gradient and are freed', async () => {
    const backend = createCpuBackend();
    const g = new GraphBuilder({ registry });
    g.input('x', [null, 2]);
    const outs = g.node(TwoWays, {}, 'x', { name: 'tw' });
    expect(outs).toEqual(['tw', 'tw.Z']);
    g.node(TwoWays, {}, 'x', { name: 'half', outputs: ['onlyY'] });
    g.output('onlyY', 'tw.Z');
    const model = g.build({ backend });
    const x = backend.tensor([1, -1], [1, 2]);
    const live = backend.stats().liveTensors;
    const run = model.forward({ x }, { mode: 'train' });
    expect(Array.from(await run.get('onlyY').read())).toEqual([2, -2]);
    expect(Array.from(await run.get('tw.Z').read())).toEqual([3, -3]);
    const seeds = { onlyY: backend.tensor([1, 1], [1, 2]), 'tw.Z': backend.tensor([1, 1], [1, 2]) };
    const grads = run.backward({ seeds, inputs: ['x'] });
    // From 'half' only Y reaches the cost (2 each); from 'tw' only Z is used (3 each).
    expect(Array.from(await grads.inputs.get('x')!.read())).toEqual([5, 5]);
    grads.dispose();
    run.dispose();
    for (const t of Object.values(seeds)) t.dispose();
    expect(backend.stats().liveTensors).toBe(live);
  });

  it('runs nodes in dependency order whatever order they were added in', async () => {
    const backend = createCpuBackend();
    const g = new GraphBuilder({ registry });
    g.input('x', [null, 2]);
    g.add(Scale, { k: 2 }, 'x', { name: 'first' });
    g.add(Scale, { k: 5 }, 'first', { name: 'second' });
    g.output('second');
    const model = g.build({ backend });
    expect(model.nodes.map((n) => n.name)).toEqual(['first', 'second']);
    const y = model.predict(backend.tensor([1, 2], [1, 2]));
    expect(Array.from(await y.read())).toEqual([10, 20]);
  });

  it('frees every intermediate: live tensors return to the baseline after a training step', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 4], { registry }).add(Linear, { outFeatures: 8 }).add(Scale).add(Linear, { outFeatures: 2 }).build({ backend });
    const x = backend.tensor(new Float32Array(12).fill(0.5), [3, 4]);
    const baseline = backend.stats().liveTensors;
    for (let i = 0; i < 3; i++) {
      const run = model.forward({ input: x }, { mode: 'train' });
      const dy = backend.ops.fill([3, 2], 1);
      const g = run.backward({ seeds: { [model.outputs[0]]: dy } });
      expect(g.params.size).toBe(4);
      g.dispose();
      dy.dispose();
      run.dispose();
    }
    expect(backend.stats().liveTensors).toBe(baseline);
  });

  it('holds a flat number of buffers over a long training loop (pooled storage)', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 4], { registry }).add(Linear, { outFeatures: 8 }).add(Scale).add(Linear, { outFeatures: 2 }).build({ backend });
    const x = backend.tensor(new Float32Array(12).fill(0.5), [3, 4]);
    const step = () => {
      const run = model.forward({ input: x }, { mode: 'train' });
      const dy = backend.ops.fill([3, 2], 1);
      run.backward({ seeds: { [model.outputs[0]]: dy } }).dispose();
      dy.dispose();
      run.dispose();
    };
    step();
    step();
    const created = backend.stats().buffersCreated;
    for (let i = 0; i < 50; i++) step();
    expect(backend.stats().buffersCreated).toBe(created);
  });

  it('fires per-node executor hooks after forward and backward, only for tapped nodes', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 2], { registry }).add(Scale, { k: 3 }, 'a').add(Scale, { k: 2 }, 'b').build({ backend });
    const seen: string[] = [];
    model.hooks.forward.for('b').tap('test', (e) => void seen.push(`forward ${e.node.name} ${e.mode} out=${Array.from(e.outputs[0].readSync())}`));
    model.hooks.backward.for('a').tap('test', (e) => void seen.push(`backward ${e.node.name} dy=${Array.from(e.dOutputs[0].readSync())} dx=${Array.from(e.result.dInputs[0]!.readSync())}`));
    const x = backend.tensor([1, 2], [1, 2]);
    const run = model.forward({ input: x }, { mode: 'train' });
    const dy = backend.tensor([1, 1], [1, 2]);
    run.backward({ seeds: { b: dy }, inputs: ['input'] }).dispose();
    run.dispose();
    expect(seen).toEqual(['forward b train out=6,12', 'backward a dy=2,2 dx=6,6']);
  });

  it('throws on a disposed tensor, naming it', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 2], { registry }).add(Scale).build({ backend });
    const x = backend.tensor([1, 2], [1, 2]);
    x.dispose();
    expect(() => model.forward({ input: x })).toThrowError(/feed 'input' was used after dispose\(\)/);
    expect(() => x.storage).toThrowError(/Tensor \[1, 2\] float32 on backend 'cpu' was used after dispose\(\)/);
  });

  it('checks feeds: missing, unknown, wrong shape', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 3], { registry }).add(Linear, { outFeatures: 2 }, 'fc').build({ backend });
    expect(() => model.forward({})).toThrowError(/missing feed for graph input 'input'/);
    const x = backend.tensor([1, 2, 3, 4], [2, 2]);
    expect(() => model.forward({ input: x })).toThrowError(/graph input 'input': expected shape \[N, 3\], found \[2, 2\]/);
    const y = backend.tensor([1, 2, 3], [1, 3]);
    expect(() => model.forward({ input: y, extra: y })).toThrowError(/feed 'extra' is not a graph input/);
  });

  it('rejects cycles, duplicate names and unknown values with clear errors', () => {
    const g = new GraphBuilder({ registry });
    g.input('x', [null, 2]);
    g.add(Scale, {}, 'x', { name: 's' });
    expect(() => g.add(Scale, {}, 'x', { name: 's' })).toThrowError(/duplicate node name 's'/);
    expect(() => g.add(Scale, {}, 'nope', { name: 't' })).toThrowError(/node 't' \(test.Scale\): input value 'nope' does not exist yet/);
    expect(() => g.add(Sum2, {}, ['x'], { name: 'u' })).toThrowError(/node 'u' \(test.Sum2\): expected 2 input\(s\) \(A, B\), found 1/);
    expect(() => new GraphBuilder({ registry }).build({ backend: createCpuBackend() })).toThrowError(/the graph has no outputs/);
  });

  it('accepts a zero (empty) dimension in a graph input and runs it; rejects negative and fractional sizes', async () => {
    const backend = createCpuBackend();
    const g = new GraphBuilder({ registry });
    g.input('x', [null, 0, 3]);
    g.output(g.add(Scale, { k: 3 }, 'x', { name: 's' })[0]);
    const model = g.build({ backend });
    const y = model.forward({ x: backend.tensor([], [2, 0, 3]) }).take('s');
    expect(y.shape).toEqual([2, 0, 3]);
    expect((await y.read()).length).toBe(0);
    expect(() => new GraphBuilder({ registry }).input('x', [null, -1])).toThrowError(/graph input 'x': bad shape \[N, -1\] \(non-negative integers/);
    expect(() => new GraphBuilder({ registry }).input('x', [2, 1.5])).toThrowError(/graph input 'x': bad shape \[2, 1\.5\]/);
  });

  it('names the missing kernel and what is registered', () => {
    const bare = new Registry().use(cpuBackend, definePlugin({ name: 'layers-only', layers: [Scale] }));
    expect(() => new Sequential([null, 2], { registry: bare }).add(Scale, {}, 's').build({ backend: createCpuBackend() })).toThrowError(
      /node 's': no kernel for layer test.Scale on backend 'cpu' \(test.Scale has kernels for: no backend/,
    );
  });

  it('names the unknown layer type and lists the registered ones', () => {
    let err: unknown;
    try {
      new Registry().use(testLayers).layer('', 'Convv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubelError);
    expect((err as HubelError).code).toBe('unknown-layer');
    expect((err as Error).message).toMatch(/unknown layer type Convv \(registered: test.MaybeAdd, test.Scale, test.Sum2, test.TwoWays\)/);
  });

  it('checks parameter shapes against the input at run time', () => {
    const backend = createCpuBackend();
    const model = new Sequential([null, 3], { registry }).add(Linear, { outFeatures: 2 }, 'fc').build({ backend });
    const fc = model.node('fc');
    fc.params.W.dispose();
    fc.params.W = backend.zeros([2, 4]);
    expect(() => model.forward({ input: backend.tensor([1, 2, 3], [1, 3]) })).toThrowError(
      /node 'fc' \(Gemm\): parameter W has shape \[2, 4\] but inputs \[1, 3\] need \[2, 3\]/,
    );
  });
});
