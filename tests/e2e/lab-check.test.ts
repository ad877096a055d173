// `hubel check overfit` and `hubel check gradients` end to end on the bundled sample, and
// `--plugin PATH`: a third-party layer written as a plain .mjs file (as a user would, importing
// @hubel/core), exported inside a model to .onnx, then checked through the plugin; a second
// plugin file with a deliberately wrong backward must fail, naming the tensor.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder, type Plugin } from '@hubel/core';
import { saveOnnx } from '@hubel/io';
import { zooRegistry } from '@hubel/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

// Under tests/e2e (in the git-ignored .hubel-tmp) so that the plugin files' `import '@hubel/core'`
// resolves through the workspace's node_modules, as it would in a user's project.
const dir = join(dirname(fileURLToPath(import.meta.url)), '.hubel-tmp', `lab-check-${process.pid}`);
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1)!;

/**
 * A plugin module: Swish with a learned slope per value, y = x·σ(β·x), in domain com.example
 * with its ONNX function body. ∂y/∂x = σ + βxσ(1−σ); ∂y/∂β = x²σ(1−σ). `wrongBeta` computes
 * ∂y/∂β with x instead of x² (a plausible slip), leaving ∂y/∂x right.
 */
function swishPlugin(wrongBeta: boolean): string {
  return `import { defineKernel, defineLayer, definePlugin } from '@hubel/core';

export const Swish = defineLayer({
  domain: 'com.example',
  type: 'Swish',
  attrs: {},
  params: (_a, [x]) => ({ beta: { shape: x.slice(1), init: { kind: 'constant', value: 1 } } }),
  inferShapes: (_a, [x]) => [x],
  onnx: {
    since: 1,
    functionBody: () => ({
      inputs: ['X', 'beta'],
      outputs: ['Y'],
      nodes: [
        { opType: 'Mul', inputs: ['beta', 'X'], outputs: ['bx'] },
        { opType: 'Sigmoid', inputs: ['bx'], outputs: ['s'] },
        { opType: 'Mul', inputs: ['X', 's'], outputs: ['Y'] },
      ],
    }),
  },
});

const swishCpu = defineKernel(Swish, 'cpu', {
  forward({ backend, inputs: [x], params: { beta } }) {
    const y = backend.alloc(x.shape), s = backend.alloc(x.shape);
    const xs = backend.data(x), bs = backend.data(beta), ys = backend.data(y), ss = backend.data(s);
    for (let i = 0; i < xs.length; i++) {
      ss[i] = 1 / (1 + Math.exp(-bs[i % bs.length] * xs[i]));
      ys[i] = xs[i] * ss[i];
    }
    return { outputs: [y], saved: { s } };
  },
  backward({ backend, inputs: [x], params: { beta }, saved: { s }, dOutputs: [dy] }) {
    const xs = backend.data(x), bs = backend.data(beta), ss = backend.data(s), d = backend.data(dy);
    const dx = backend.alloc(x.shape), dB = backend.zeros(beta.shape);
    const o = backend.data(dx), ob = backend.data(dB);
    for (let i = 0; i < xs.length; i++) {
      const g = ss[i] * (1 - ss[i]);
      o[i] = d[i] * (ss[i] + bs[i % bs.length] * xs[i] * g);
      ob[i % bs.length] += d[i] * ${wrongBeta ? 'xs[i]' : 'xs[i] * xs[i]'} * g;
    }
    return { dInputs: [dx], dParams: { beta: dB } };
  },
});

export default definePlugin({ name: 'example-swish', layers: [Swish], kernels: [swishCpu] });
`;
}

const good = join(dir, 'swish.mjs');
const wrong = join(dir, 'swish-wrong-backward.mjs');
const swishModel = join(dir, 'swish-net.onnx');

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(good, swishPlugin(false));
  writeFileSync(wrong, swishPlugin(true));
  writeFileSync(join(dir, 'not-a-plugin.mjs'), 'export const answer = 42;\n');
  // The model is built and exported here with the plugin imported the way the CLI imports it.
  const plugin = ((await import(pathToFileURL(good).href)) as { default: Plugin }).default;
  const registry = zooRegistry(cpuBackend).use(plugin);
  const g = new GraphBuilder({ registry });
  let v = g.input('input', [null, 1, 28, 28]);
  v = g.add(registry.layer('', 'Conv'), { outChannels: 4, kernelShape: [3, 3], pads: [1, 1, 1, 1] }, v, { name: 'conv' });
  v = g.add(registry.layer('com.example', 'Swish'), {}, v, { name: 'swish' });
  v = g.add(registry.layer('', 'MaxPool'), { kernelShape: [2, 2], strides: [2, 2] }, v, { name: 'pool' });
  v = g.add(registry.layer('', 'Flatten'), {}, v, { name: 'flatten' });
  g.output(g.add(registry.layer('', 'Gemm'), { outFeatures: 10 }, v, { name: 'scores' }));
  const model = g.build({ backend: createCpuBackend(), seed: 5 });
  await saveOnnx(swishModel, model);
  model.dispose();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hubel check overfit', () => {
  it('the fashion convnet reaches 0.00% training error on the first 100 sample images, exit 0', async () => {
    const t0 = performance.now();
    const r = await hubel(['check', 'overfit']);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/fashion on the first 100 training images \(1×28×28\).*regularization off: dropout ratio 0 \(dropout\), no weight decay, no augmentation/);
    expect(r.stdout).toMatch(/^ {2}step {5}0 {2}loss +\d+\.\d{4} {2}error +\d+\.\d\d%/m);
    expect(r.stdout).toMatch(/^error curve \(\d+ measurements, one per epoch\): [▁▂▃▄▅▆▇█]+$/m);
    const m = /^overfit: reached 0\.00% training error on 100 images in (\d+) steps$/.exec(lastLine(r.stdout));
    expect(m, r.stdout).not.toBeNull();
    console.log(`check overfit (fashion, 100 images): ${m![1]} steps, ${seconds.toFixed(1)} s`);
  });

  it('an .onnx file (dropout 0.5 in the file) is trained with its Dropout at ratio 0', async () => {
    const file = join(dir, 'fashion.onnx');
    expect((await hubel(['export', '--model', 'fashion', '--out', file])).code).toBe(0);
    const r = await hubel(['check', 'overfit', '--model', file, '--limit', '20']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/regularization off: dropout ratio 0 \(dropout\)/);
    expect(lastLine(r.stdout)).toMatch(/^overfit: reached 0\.00% training error on 20 images in \d+ steps$/);
  });

  it('a learning rate of 1 with Adam gets stuck: exit 1, the stuck line, "learning rate too high"', async () => {
    const r = await hubel(['check', 'overfit', '--lr', '1', '--steps', '10', '--limit', '40']);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('overfit: '));
    expect(lines[at]).toMatch(/^overfit: stuck at \d+\.\d\d% after 10 steps$/);
    expect(lines.filter((l) => l.startsWith('overfit: '))).toHaveLength(1);
    expect(lines.slice(at + 1).every((l) => l.startsWith('  likely cause: '))).toBe(true);
    expect(lines.slice(at + 1).join('\n')).toMatch(/likely cause: learning rate too high/);
  });

  it('bad flags: --limit 0, an unknown flag, an unknown model', async () => {
    const zero = await hubel(['check', 'overfit', '--limit', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/hubel check overfit: --limit must be at least 1, found 0/);
    const flag = await hubel(['check', 'overfit', '--threshold', '1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/hubel check overfit: unknown flag --threshold/);
    const model = await hubel(['check', 'overfit', '--model', 'resnet']);
    expect(model.code).toBe(1);
    expect(model.stderr).toMatch(/unknown model 'resnet'/);
  });
});

describe('hubel check gradients', () => {
  it('the fashion convnet: one line per tensor, the input first, all ok, exit 0', async () => {
    const t0 = performance.now();
    const r = await hubel(['check', 'gradients', '--model', 'fashion', '--per-tensor', '20']);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^ {2}\S/.test(l));
    expect(rows.map((l) => l.trim().split(/\s+/)[0])).toEqual(['input', 'conv1.W', 'bn1.scale', 'bn1.B', 'conv2.W', 'bn2.scale', 'bn2.B', 'fc1.W', 'fc1.B', 'scores.W', 'scores.B']);
    for (const row of rows) expect(row).toMatch(/worst rel error +\d\.\d\de[+-]\d+ {2}ok /);
    expect(lastLine(r.stdout)).toMatch(/^gradients: ok, worst relative error \d\.\d\de-\d+ \(\S+\) ≤ 1e-4 over 11 tensors$/);
    console.log(`check gradients (fashion): ${seconds.toFixed(1)} s; ${lastLine(r.stdout)}`);
  });

  it('a model with a third-party layer, registered with --plugin: passes', async () => {
    const r = await hubel(['check', 'gradients', '--model', swishModel, '--plugin', good]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}swish\.beta +\[4, 28, 28\] +worst rel error .* ok /m);
    expect(lastLine(r.stdout)).toMatch(/^gradients: ok/);
  });

  it('the same model with a plugin whose backward is wrong: exit 1, naming swish.beta', async () => {
    const r = await hubel(['check', 'gradients', '--model', swishModel, '--plugin', wrong]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^ {2}swish\.beta +\[4, 28, 28\] +worst rel error .* FAIL .*\(at \[\d+\]: backward .*, finite difference .*\)$/m);
    expect(r.stdout).toMatch(/^ {2}input .* ok /m);
    expect(lastLine(r.stdout)).toMatch(/^gradients: FAILED: swish\.beta \(\d\.\d\de-\d+\) above 1e-4$/);
  });

  it('--plugin works for every command: inspect needs it to read the file', async () => {
    const without = await hubel(['inspect', swishModel]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/swish-net\.onnx: unsupported ONNX operator/);
    const withPlugin = await hubel(['inspect', swishModel, '--plugin', good]);
    expect(withPlugin.code, withPlugin.stderr).toBe(0);
    expect(withPlugin.stdout).toMatch(/swish/);
  });

  it('bad flags and bad plugin files: clear errors naming the file', async () => {
    const missing = await hubel(['check', 'gradients', '--plugin', join(dir, 'nope.mjs')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--plugin .*nope\.mjs: no such file/);
    const notPlugin = await hubel(['check', 'gradients', '--plugin', join(dir, 'not-a-plugin.mjs')]);
    expect(notPlugin.code).toBe(1);
    expect(notPlugin.stderr).toMatch(/--plugin .*not-a-plugin\.mjs: no Hubel plugin found.*\(exports: answer\)/);
    expect((await hubel(['check', 'gradients', '--plugin'])).code).toBe(2);
    const threshold = await hubel(['check', 'gradients', '--threshold', '0']);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toMatch(/--threshold must be positive/);
  });
});

describe('hubel check', () => {
  it('an unknown or missing check: exit 2 naming the checks; --help lists both and --plugin', async () => {
    const unknown = await hubel(['check', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/hubel check: unknown check 'frobnicate' \(checks: overfit, gradients\)/);
    expect((await hubel(['check'])).code).toBe(2);
    const help = await hubel(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/hubel check overfit/);
    expect(help.stdout).toMatch(/hubel check gradients/);
    expect(help.stdout).toMatch(/--plugin PATH/);
  });
});
