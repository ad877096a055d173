// Every registered layer case, exported as a one-node ONNX model: ONNX Runtime (an independent
// engine) must agree with Hubel's CPU forward, and export → import must give back a model with
// identical outputs and gradients.
import { createCpuBackend } from '@hubel/backend-cpu';
import { Rng, layerLabel } from '@hubel/core';
import { buildCaseModel, drawInputs } from '@hubel/core/testing';
import { exportOnnx, importOnnx } from '@hubel/io';
import { describe, expect, it } from 'vitest';
import { ORT_TOLERANCE, fullRegistry, layerPlugins, runModel, runOrt, scaledError, type HostValue } from './helpers.js';

const registry = fullRegistry();
const SEED = 7;

const cases = layerPlugins.flatMap((p) => p.cases ?? []);

describe('layer cases: Hubel CPU vs ONNX Runtime, and export → import', () => {
  it('walks a non-trivial number of cases', () => {
    expect(cases.length).toBeGreaterThan(40);
  });
  for (const c of cases) {
    const title = `${layerLabel(c.layer)} ${c.name}`;
    const reason = c.skipSuites?.onnx;
    if (reason) {
      console.info(`[onnx] not checked: ${title} — ${reason}`);
      continue;
    }
    it(`${title}: ONNX Runtime output matches (seed ${SEED})`, async () => {
      const backend = createCpuBackend();
      const inputs = drawInputs(c, new Rng(SEED));
      const model = buildCaseModel(c, backend, { registry, seed: SEED, inputs });
      const feeds: Record<string, HostValue> = Object.fromEntries(inputs.map((x, i) => [`x${i}`, x]));
      const ours = await runModel(model, feeds, { mode: 'eval', seed: SEED, backward: false });
      const theirs = await runOrt(await exportOnnx(model), feeds);
      for (const name of model.outputs) {
        expect(theirs[name], `ONNX Runtime produced no output '${name}'`).toBeDefined();
        const err = scaledError(ours.outputs[name], theirs[name].values);
        expect(err, `${title} output '${name}' (seed ${SEED}): scaled error ${err}`).toBeLessThanOrEqual(ORT_TOLERANCE);
      }
      model.dispose();
    });
    it(`${title}: export → import gives identical outputs and gradients (seed ${SEED})`, async () => {
      const backend = createCpuBackend();
      const inputs = drawInputs(c, new Rng(SEED));
      const model = buildCaseModel(c, backend, { registry, seed: SEED, inputs });
      const feeds: Record<string, HostValue> = Object.fromEntries(inputs.map((x, i) => [`x${i}`, x]));
      const copy = importOnnx(await exportOnnx(model), { registry, backend, file: `${title}.onnx` });
      const mode = c.mode ?? 'train';
      const a = await runModel(model, feeds, { mode, seed: SEED, backward: true });
      const b = await runModel(copy, feeds, { mode, seed: SEED, backward: true });
      expect(Object.keys(b.outputs)).toEqual(Object.keys(a.outputs));
      for (const k of Object.keys(a.outputs)) expect(Array.from(b.outputs[k]), `output ${k}`).toEqual(Array.from(a.outputs[k]));
      expect(Object.keys(b.grads).sort()).toEqual(Object.keys(a.grads).sort());
      for (const k of Object.keys(a.grads)) expect(Array.from(b.grads[k]), `gradient ${k}`).toEqual(Array.from(a.grads[k]));
      model.dispose();
      copy.dispose();
    });
  }
});
