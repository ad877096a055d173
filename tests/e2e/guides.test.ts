// The guides' examples (docs/guides/examples) type-check under strict settings and run, each
// printing results that are checked here: the layer plugin passes the gradient checker, WebGPU
// parity (where an adapter exists) and ONNX (its exported file also runs in ONNX Runtime); the
// backend trains a network and matches the CPU reference; the Trainer plugins record and stop.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@hubel/backend-cpu';
import type { Plugin } from '@hubel/core';
import { saveOnnx } from '@hubel/io';
import { Tanh, activationLayers } from '@hubel/layers-activation';
import { Linear, denseLayers } from '@hubel/layers-dense';
import { EuclideanLoss, lossLayers } from '@hubel/layers-loss';
import { neocognitron, sPlaneWeights } from '@hubel/models';
import { decodePng } from '@hubel/viz';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const examples = join(root, 'docs/guides/examples');
const tsconfig = join(examples, 'tsconfig.json');

function run(command: string, args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
    // tsx maps the examples' `@hubel/*` imports through the examples' tsconfig `paths`.
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const example = (file: string, ...args: string[]) => run(process.execPath, ['--import', 'tsx', join(examples, file), ...args]);
const lines = (out: string, prefix: string) => out.split('\n').filter((l) => l.startsWith(prefix));
const numbersAfter = (out: string, prefix: string) => lines(out, prefix)[0].slice(prefix.length).split(',').map(Number);

describe('guides: examples', () => {
  it('type-check with tsc under the strict base settings', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = run(process.execPath, [tsc, '-p', tsconfig]);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);

  it('scaled-tanh.ts (layer plugin): gradient check, WebGPU parity, ONNX round trip and ONNX Runtime agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubel-guides-'));
    try {
      const r = example('scaled-tanh.ts', dir);
      expect(r.code, r.out).toBe(0);
      expect(lines(r.out, 'gradcheck ok:'), r.out).toHaveLength(3);
      const parity = lines(r.out, 'webgpu parity ok:');
      // A machine without an adapter skips parity with its reason; CI must have one (STYLE §7).
      if (parity.length === 0 && process.env.CI !== 'true') expect(lines(r.out, 'webgpu: no adapter'), r.out).toHaveLength(1);
      else expect(parity, r.out).toHaveLength(3);
      expect(r.out).not.toMatch(/FAILED/);
      expect(r.out).toContain('onnx: node com.example.ScaledTanh, function body Constant → Mul → Tanh → Mul');
      expect(r.out).toContain('onnx round trip: max |diff| 0');
      expect(r.out).toContain('all checks passed');

      // The exported file in an independent engine. One float32 tanh and two products per
      // value, |y| ≤ 1.72: both engines are within a few ulps (~1e-7) of the exact value.
      const { input, output } = JSON.parse(readFileSync(join(dir, 'scaled-tanh.json'), 'utf8')) as { input: { name: string; shape: number[]; values: number[] }; output: { name: string; values: number[] } };
      const session = await ort.InferenceSession.create(readFileSync(join(dir, 'scaled-tanh.onnx')));
      try {
        const res = await session.run({ [input.name]: new ort.Tensor('float32', Float32Array.from(input.values), input.shape) });
        const theirs = res[output.name].data as Float32Array;
        expect(theirs.length).toBe(output.values.length);
        const worst = Math.max(...output.values.map((v, i) => Math.abs(v - theirs[i])));
        expect(worst).toBeLessThan(1e-5);
      } finally {
        await session.release();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('js-backend.ts (backend): its kernels pass every case of their layers, it trains, and it matches the CPU backend', () => {
    const r = example('js-backend.ts');
    expect(r.code, r.out).toBe(0);
    const covered = new Set<unknown>([Linear, Tanh, EuclideanLoss]);
    const plugins: Plugin[] = [denseLayers, activationLayers, lossLayers];
    const cases = plugins.flatMap((p) => p.cases ?? []).filter((c) => covered.has(c.layer));
    expect(cases.length).toBeGreaterThan(5);
    expect(lines(r.out, 'gradcheck ok:'), r.out).toHaveLength(cases.length);
    const m = /loss ([\d.]+) → ([\d.]+) in (\d+) epochs/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(Number(m![1]) / 5);
    const diff = /js vs cpu predictions: max \|diff\| (\S+)/.exec(r.out);
    expect(Number(diff![1])).toBeLessThan(1e-9);
    expect(r.out).toContain("live tensors left on 'js': 0");
    expect(r.out).toContain('all checks passed');
  }, 240_000);

  it('trainer-plugins.ts (Trainer plugins): the recorder saw every epoch\'s scheduled rate and the run stopped at the target loss', () => {
    const r = example('trainer-plugins.ts');
    expect(r.code, r.out).toBe(0);
    const lrs = numbersAfter(r.out, 'learning rates: ');
    const losses = numbersAfter(r.out, 'epoch losses: ');
    const m = /recorded (\d+) epochs; run stopped early: (\w+) \((\w+)\) after (\d+) of 50 epochs, final loss ([\d.]+)/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const epochs = Number(m![1]);
    expect([epochs, Number(m![4]), lrs.length, losses.length]).toEqual([epochs, epochs, epochs, epochs]);
    expect(epochs).toBeGreaterThan(5); // long enough to show warmup and a schedule step
    expect([m![2], m![3]]).toEqual(['true', 'shouldStop']);
    // The step schedule (0.2 halved every 5 epochs), then the 3-epoch linear warmup on top.
    lrs.forEach((lr, e) => expect(lr).toBeCloseTo(0.2 * 0.5 ** Math.floor(e / 5) * Math.min(1, (e + 1) / 3), 3));
    // It stopped at the first epoch under the target, 0.0985.
    expect(Number(m![5])).toBeLessThan(0.0985);
    expect(losses.slice(0, -1).every((l) => l >= 0.0985)).toBe(true);
  }, 240_000);

  it('neocognitron-planes.ts: draws each S1 plane of a neocognitron file as one on − off tile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubel-guides-'));
    try {
      const model = neocognitron().build({ backend: createCpuBackend(), seed: 5 });
      await saveOnnx(join(dir, 'neo.onnx'), model);
      const r = example('neocognitron-planes.ts', join(dir, 'neo.onnx'), join(dir, 's1.png'));
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(`s1: 16 planes of 2×5×5 drawn as on − off → ${join(dir, 's1.png')}`);
      // 2 rows of 8 tiles, 5×5 weights scaled by 8, 1-pixel gaps around and between them.
      const png = decodePng(new Uint8Array(readFileSync(join(dir, 's1.png'))));
      expect([png.width, png.height]).toEqual([8 * 40 + 9, 2 * 40 + 3]);
      // The first tile's darkest and brightest pixels sit where plane 0's on − off is smallest and largest.
      const { values } = await sPlaneWeights(model, 's1');
      const diff = Array.from({ length: 25 }, (_, t) => values[t] - values[25 + t]);
      const pixel = (t: number) => png.data[((1 + Math.floor(t / 5) * 8) * png.width + 1 + (t % 5) * 8) * png.channels];
      expect(pixel(diff.indexOf(Math.min(...diff)))).toBe(0);
      expect(pixel(diff.indexOf(Math.max(...diff)))).toBe(255);
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
