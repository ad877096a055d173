// `hubel train --model hmax` end to end on a slice of the bundled Fashion-MNIST sample: the
// imprinting step runs before training, only the classifier trains (S1's Gabor bank and S2's
// imprinted prototypes come out of training bit for bit as imprinted), and the files are written.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import { decodeModel } from '@hubel/io';
import { hmax } from '@hubel/models';
import { describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

const weights = (file: string) => new Map(decodeModel(new Uint8Array(readFileSync(file)), file).graph.initializers.map((t) => [t.name, Buffer.from(t.rawData ?? new Uint8Array()).toString('hex')]));

describe('hubel train --model hmax (bundled sample)', () => {
  it('imprints 20 prototypes, trains only the classifier for 1 epoch and writes model.onnx in well under 60 s', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-hmax-'));
    const t0 = performance.now();
    const r = await hubel(['train', '--model', 'hmax', '--prototypes', '20', '--epochs', '1', '--limit', '300', '--batch', '30', '--lr', '0.05', '--seed', '2', '--out', out]);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/model: hmax, [\d,]+ parameters/);
    expect(r.stderr).toMatch(/hmax: imprinted 20 S2 prototypes from C1 patches of \d+ training images; S1 and S2 stay frozen/);
    expect(r.stdout).toMatch(/test: error \d+\.\d+% \(accuracy \d+\.\d+%\), top-5 error \d+\.\d+% on 300 images/);
    expect(seconds).toBeLessThan(60);
    const model = decodeModel(new Uint8Array(readFileSync(join(out, 'model.onnx'))));
    expect(JSON.parse(model.metadata['hubel.frozen'])).toEqual(['s1.W', 's2.P']);
    // S1 after training is exactly the Gabor bank a fresh build starts with (the bank does not
    // depend on the seed): training never touched it.
    const fresh = hmax({ prototypes: 20 }).build({ backend: createCpuBackend(), seed: 99 });
    const bank = Buffer.from(new Float32Array(await fresh.node('s1').params.W.read()).buffer).toString('hex');
    expect(weights(join(out, 'model.onnx')).get('s1.W')).toBe(bank);
    fresh.dispose();
  }, 120_000);
});
