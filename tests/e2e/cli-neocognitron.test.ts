// `hubel train --model neocognitron` end to end on a slice of the bundled Fashion-MNIST sample:
// the competitive-learning phases run (one line each), then the classifier trains; the exported
// S layers are self-organized unit vectors with their thresholds untouched, and the fixed layers
// (contrast cells, connection areas) come out bit for bit as built. `neocognitron-backprop`
// trains the same graph's S layers by backprop instead.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@hubel/backend-cpu';
import { decodeModel } from '@hubel/io';
import { neocognitron } from '@hubel/models';
import { describe, expect, it } from 'vitest';
import { hubel } from './cli-helpers.js';

const initializers = (file: string) => new Map(decodeModel(new Uint8Array(readFileSync(file)), file).graph.initializers.map((t) => [t.name, new Float32Array(new Uint8Array(t.rawData ?? new Uint8Array()).slice().buffer)]));
const hex = (v: ArrayLike<number>) => Buffer.from(Float32Array.from(v).buffer).toString('hex');

describe('hubel train --model neocognitron (bundled sample)', () => {
  it('self-organizes S1, S2, S3 one after the other, then trains only the classifier, in well under 60 s', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-neocognitron-'));
    const t0 = performance.now();
    const r = await hubel(['train', '--model', 'neocognitron', '--epochs', '2', '--limit', '300', '--batch', '30', '--lr', '0.03', '--seed', '2', '--out', out]);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/model: neocognitron, 10,250 parameters/);
    // 270 training images after the validation hold-out: each phase is capped at a quarter (67).
    expect(r.stderr).toContain('neocognitron: competitive learning of s1 on 67, s2 on 67, s3 on 67 training images (θ_L 0.8, 0.7, 0.7), one layer after the other, then the classifier by backprop with the S layers frozen');
    const phases = r.stderr.split('\n').filter((l) => l.startsWith('competitive learning: '));
    expect(phases.map((l) => /^competitive learning: (s\d) self-organized on (\d+) images: (\d+) of (\d+) planes recruited/.exec(l)?.slice(1))).toEqual([
      ['s1', '90', expect.any(String), '16'],
      ['s2', '90', expect.any(String), '32'],
      ['s3', '90', expect.any(String), '64'],
    ]);
    expect(r.stdout).toMatch(/test: error \d+\.\d+% \(accuracy \d+\.\d+%\), top-5 error \d+\.\d+% on 300 images/);
    expect(seconds).toBeLessThan(60);

    const file = join(out, 'model.onnx');
    const model = decodeModel(new Uint8Array(readFileSync(file)));
    expect(JSON.parse(model.metadata['hubel.frozen'])).toEqual(['ug.W', 's1patch.W', 's1.W', 's1.B', 's2patch.W', 's2.W', 's2.B', 's3patch.W', 's3.W', 's3.B']);
    const trained = initializers(file);
    const fresh = neocognitron().build({ backend: createCpuBackend(), seed: 2 });
    const built = async (key: string) => {
      const [node, p] = key.split('.');
      return fresh.node(node).params[p].read();
    };
    // Fixed layers and thresholds: exactly as built.
    for (const key of ['ug.W', 's1patch.W', 's2patch.W', 's3patch.W', 's1.B', 's2.B', 's3.B']) expect(hex(trained.get(key)!), key).toBe(hex(await built(key)));
    // S weights: self-organized (not the random start), still unit vectors, one per plane.
    for (const [key, planes, taps] of [['s1.W', 16, 50], ['s2.W', 32, 400], ['s3.W', 64, 288]] as const) {
      const w = trained.get(key)!;
      expect(hex(w), key).not.toBe(hex(await built(key)));
      for (let k = 0; k < planes; k++) expect(Math.hypot(...w.subarray(k * taps, (k + 1) * taps)), `${key} plane ${k}`).toBeCloseTo(1, 5);
    }
    fresh.dispose();
  }, 120_000);

  it('neocognitron-backprop trains the S layers by backprop: no competitive phase, S weights and thresholds move', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hubel-neocognitron-bp-'));
    const r = await hubel(['train', '--model', 'neocognitron-backprop', '--epochs', '1', '--limit', '100', '--batch', '25', '--seed', '3', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/model: neocognitron-backprop, 42,394 parameters/);
    expect(r.stderr).not.toMatch(/competitive learning/);
    const file = join(out, 'model.onnx');
    expect(JSON.parse(decodeModel(new Uint8Array(readFileSync(file))).metadata['hubel.frozen'])).toEqual(['ug.W', 's1patch.W', 's2patch.W', 's3patch.W']);
    const trained = initializers(file);
    const fresh = neocognitron({ learning: 'backprop' }).build({ backend: createCpuBackend(), seed: 3 });
    for (const key of ['s1.W', 's1.B', 's3.W']) {
      const [node, p] = key.split('.');
      expect(hex(trained.get(key)!), key).not.toBe(hex(await fresh.node(node).params[p].read()));
    }
    fresh.dispose();
  }, 120_000);
});
