// Users install only what they need: @hubel/core, @hubel/backend-cpu and @hubel/layers-dense,
// packed with `pnpm pack` into a fresh project (npm install from the tarballs), are enough to
// type-check and train a model. Nothing else of ours is pulled in.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'hubel-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// pnpm 12 is a native binary; under `pnpm test` (or `npx pnpm@12.4.2 test`) npm_execpath points at it.
const pnpm = process.env.npm_execpath?.includes('pnpm') ? process.env.npm_execpath : 'pnpm';
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' } });

const program = `
import { Registry, Sequential, Sgd, Trainer, ArrayDataset, Rng, defineLayer, defineKernel, definePlugin, attr } from '@hubel/core';
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { denseLayers, Linear } from '@hubel/layers-dense';

// A user-side squared-error loss, since @hubel/layers-loss is not installed.
const Mse = defineLayer({ domain: 'user', type: 'Mse', role: 'loss', inputs: ['X', 'T'], attrs: {}, inferShapes: () => [[]] });
const mseCpu = defineKernel(Mse, 'cpu', {
  forward({ backend, inputs: [x, t] }) {
    const xs = backend.data(x), ts = backend.data(t);
    let c = 0;
    for (let i = 0; i < xs.length; i++) c += 0.5 * (xs[i] - ts[i]) ** 2;
    return { outputs: [backend.tensor([c / x.shape[0]], [])] };
  },
  backward({ backend, inputs: [x, t], dOutputs: [dc] }) {
    const xs = backend.data(x), ts = backend.data(t), g = backend.data(dc)[0];
    const dx = backend.alloc(x.shape);
    const o = backend.data(dx);
    for (let i = 0; i < xs.length; i++) o[i] = (g * (xs[i] - ts[i])) / x.shape[0];
    return { dInputs: [dx, undefined] };
  },
});
const registry = new Registry().use(cpuBackend, denseLayers, definePlugin({ name: 'user-mse', layers: [Mse], kernels: [mseCpu] }));
const model = new Sequential([null, 3], { registry }).add(Linear, { outFeatures: 1 }).build({ backend: createCpuBackend(), seed: 1 });
const r = new Rng(2);
const x = Float32Array.from({ length: 300 }, () => r.normal());
const y = Float32Array.from({ length: 100 }, (_, i) => 2 * x[3 * i] - x[3 * i + 1] + 0.5 * x[3 * i + 2] + 1);
const trainer = new Trainer({ model, loss: Mse, optimizer: new Sgd({ lr: 0.1 }) });
const s = await trainer.fit({ train: new ArrayDataset(x, [3], y, [1]), epochs: 20, batchSize: 10 });
console.log(JSON.stringify({ first: s.history[0].trainLoss, last: s.history[s.history.length - 1].trainLoss }));
`;

describe('installing only core, backend-cpu and layers-dense', () => {
  it('packs, installs, type-checks and trains', () => {
    const pkgs = ['core', 'backend-cpu', 'layers-dense'];
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', ...pkgs.map((p) => join(root, 'packages', p))], root);
    const tarballs = pkgs.map((p) => {
      const out = run(pnpm, ['pack', '--pack-destination', work], join(root, 'packages', p));
      const name = out.trim().split('\n').pop()!.trim();
      return name.startsWith('/') ? name : join(work, name);
    });
    const app = join(work, 'app');
    run('mkdir', ['-p', join(app, 'src')], work);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: Object.fromEntries(pkgs.map((p, i) => [`@hubel/${p}`, `file:${tarballs[i]}`])) }),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, lib: ['ES2023', 'DOM'], types: [], outDir: 'dist', skipLibCheck: false }, include: ['src'] }),
    );
    writeFileSync(join(app, 'src/main.ts'), program);
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
    expect(readdirSync(join(app, 'node_modules/@hubel')).sort()).toEqual(['backend-cpu', 'core', 'layers-dense']);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/@hubel/layers-dense/package.json'), 'utf8'));
    expect(installed.peerDependencies['@hubel/core']).toMatch(/^\^0\./);
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], app);
    const { first, last } = JSON.parse(run(process.execPath, [join(app, 'dist/main.js')], app));
    expect(last).toBeLessThan(first / 100);
  }, 240_000);
});
