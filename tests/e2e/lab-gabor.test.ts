// `hubel gabor` (a bank, its spectra and their tiling as PNGs, read back) and `hubel visualize
// --what gabor-fit` on ONNX files: a Gabor-initialized first layer is fitted back exactly
// (which also checks that @hubel/layers-conv's generator and @hubel/lab's fit share their
// conventions), a randomly initialized one is not.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import { GraphBuilder } from '@hubel/core';
import { saveOnnx } from '@hubel/io';
import { Conv } from '@hubel/layers-conv';
import { Flatten, Linear } from '@hubel/layers-dense';
import { zooRegistry } from '@hubel/models';
import { decodePng } from '@hubel/viz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'hubel-gabor-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads a PNG back: the signature and IHDR read here from the format, then the pixels by @hubel/viz's decoder. */
function png(path: string) {
  const bytes = new Uint8Array(readFileSync(path));
  expect(Array.from(bytes.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  expect(String.fromCharCode(...bytes.subarray(12, 16))).toBe('IHDR');
  const image = decodePng(bytes, path);
  expect([image.width, image.height]).toEqual([view.getUint32(16), view.getUint32(20)]);
  return image;
}

/** A 1×20×20 → conv1 (9×9, 8 filters) → 3 scores model saved as ONNX; conv1 a Gabor bank or He-uniform noise. */
async function convModel(file: string, init: 'gabor' | 'heUniform'): Promise<string> {
  const g = new GraphBuilder({ registry: zooRegistry() });
  let v = g.input('input', [null, 1, 20, 20]);
  v = g.add(Conv, { outChannels: 8, kernelShape: [9, 9], init, gaborOrientations: 4, gaborScales: 2 }, v, { name: 'conv1' });
  v = g.add(Flatten, {}, v, { name: 'flatten' });
  g.output(g.add(Linear, { outFeatures: 3 }, v, { name: 'scores' }));
  const model = g.build({ backend: createCpuBackend(), seed: 4 });
  const path = join(dir, file);
  await saveOnnx(path, model);
  model.dispose();
  return path;
}

describe('hubel gabor', () => {
  it('--orientations 8 --scales 4 --size 31: bank, spectra, both side by side, tiling as valid PNGs, and each spectral peak at (cos θ, sin θ)/λ', async () => {
    const out = join(dir, 'bank');
    const r = await hubel(['gabor', '--orientations', '8', '--scales', '4', '--size', '31', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('gabor bank: 32 filters of 31×31 (8 orientations × 4 wavelengths 3.00, 4.81, 7.73, 12.40 px × 1 phase)');
    // 8 columns × 4 rows of tiles: filters 31·2 = 62 px, spectra 64·1 px (FFT size 64), 1-px gaps.
    const bank = png(join(out, 'gabor-bank.png'));
    expect([bank.width, bank.height, bank.channels]).toEqual([8 * 62 + 9, 4 * 62 + 5, 1]);
    const spectra = png(join(out, 'gabor-spectra.png'));
    expect([spectra.width, spectra.height]).toEqual([8 * 64 + 9, 4 * 64 + 5]);
    const both = png(join(out, 'gabor-bank-spectra.png'));
    expect([both.width, both.height]).toEqual([bank.width + 16 + spectra.width, spectra.height]);
    const tiling = png(join(out, 'gabor-tiling.png'));
    expect([tiling.width, tiling.height]).toEqual([514, 514]);
    // Filter 0 (θ 0, even): its centre pixel is the tile's maximum, drawn white.
    expect(bank.data[(1 + 31) * bank.width + 1 + 31]).toBe(255);
    // The spectra's centre pixel (zero frequency) is black in every tile: the filters have zero mean.
    for (let k = 0; k < 8; k++) expect(spectra.data[(1 + 32) * spectra.width + 1 + k * 65 + 32]).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'gabor-bank.json'), 'utf8'));
    expect(json.filters).toHaveLength(32);
    for (const f of json.filters) {
      const t = (f.thetaDegrees * Math.PI) / 180;
      const [ex, ey] = [(64 * Math.cos(t)) / f.wavelength, (64 * Math.sin(t)) / f.wavelength];
      const [px, py] = [f.spectralPeak.fx * 64, f.spectralPeak.fy * 64];
      // Within one bin on each axis, of either lobe (|F| of a real filter is symmetric).
      expect(Math.min(Math.hypot(px - ex, py - ey), Math.hypot(px + ex, py + ey)), `filter ${f.index}`).toBeLessThanOrEqual(Math.SQRT2);
    }
  });

  it('bad flags are errors naming the flag', async () => {
    const r = await hubel(['gabor', '--phases', '0,x', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--phases must be a comma-separated list of numbers, found '0,x'");
    const r2 = await hubel(['gabor', '--wavelengths', '1', '--out', join(dir, 'bad')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('wavelengths must be at least 2 pixels');
  });
});

describe('hubel visualize --what gabor-fit', () => {
  it('a Gabor-initialized conv1 is fitted with R² ≈ 1 at the bank orientations; He-uniform noise filters are not', async () => {
    const out = join(dir, 'fit');
    const r = await hubel(['visualize', '--model', await convModel('gabor.onnx', 'gabor'), '--layer', 'conv1', '--what', 'gabor-fit', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('gabor fits of conv1: 8 fits of 9×9 (8 filters × 1 (one input channel))');
    const report = JSON.parse(readFileSync(join(out, 'gabor-fit-conv1.json'), 'utf8'));
    expect(report.fits).toHaveLength(8);
    const wavelengths = [3, 4]; // defaultGaborWavelengths(9, 2): 3 px to max(4, 9/2.5) px
    for (const f of report.fits) {
      // Mean subtraction (a constant, not a Gabor) and float32 weights keep R² just under 1.
      expect(f.r2, `filter ${f.filter}`).toBeGreaterThan(0.99);
      // θ is reported in [0, π): 0 may come back as π − ε.
      const d = Math.abs(f.params.theta - ((f.filter % 4) * Math.PI) / 4) % Math.PI;
      expect(Math.min(d, Math.PI - d), `filter ${f.filter} θ ${f.params.theta}`).toBeLessThan(0.02);
      expect(f.params.wavelength / wavelengths[Math.floor(f.filter / 4)], `filter ${f.filter} λ`).toBeCloseTo(1, 1);
    }
    expect(report.summary.median).toBeGreaterThan(0.99);
    expect(report.noiseBaseline.count).toBe(20);
    const image = png(join(out, 'gabor-fit-conv1.png'));
    // 8 tiles of 9×19 at ×4 in one row: 8·76 + 9 wide, 36 + 2 high.
    expect([image.width, image.height]).toEqual([617, 38]);
    expect(readFileSync(join(out, 'gabor-fit-conv1.svg'), 'utf8')).toContain('Gabor fits of conv1 (filter | fit)');

    const noise = await hubel(['visualize', '--model', await convModel('noise.onnx', 'heUniform'), '--layer', 'conv1', '--what', 'gabor-fit', '--out', out]);
    expect(noise.code, noise.stderr).toBe(0);
    const noiseReport = JSON.parse(readFileSync(join(out, 'gabor-fit-conv1.json'), 'utf8'));
    // Uniform noise on 9×9 sits at the chance level (≈ 0.2, the report's own noise baseline).
    expect(noiseReport.summary.median).toBeLessThan(0.4);
    expect(noise.stdout).toMatch(/chance level: R² of 20 white-noise 9×9 filters: median 0\.\d+/);
  });

  it('a layer without filters is an error naming the layers that have them', async () => {
    const model = await convModel('gabor2.onnx', 'gabor');
    const r = await hubel(['visualize', '--model', model, '--layer', 'scores', '--what', 'gabor-fit', '--out', join(dir, 'fit')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gabor-fit: layer 'scores' \(Gemm\) has no 2-D convolution filters .*layers with filters: conv1/);
  });
});
