// ONNX's own node test cases (shared/onnx-conformance, read in place) through Hubel's importer
// and CPU backend: import model.onnx, feed input_N.pb, compare with output_N.pb using ONNX's
// tolerance. A case is attempted when every op in its graph is importable and its tensors are
// float (int64 only for indices, shapes and labels); the others are listed as unsupported.
// Prints a table and, as its last line, `conformance: N passed, N failed, N unsupported`.
import { cpuBackend, createCpuBackend } from '@hubel/backend-cpu';
import { Registry, type Plugin } from '@hubel/core';
import { DataType, UnsupportedOnnxError, dataTypeName, decodeModel, decodeTensorProto, importModelProto, importableOps, readTensor, type OnnxModelProto } from '@hubel/io';
import * as activation from '@hubel/layers-activation';
import * as conv from '@hubel/layers-conv';
import * as dense from '@hubel/layers-dense';
import * as loss from '@hubel/layers-loss';
import * as norm from '@hubel/layers-norm';
import * as pool from '@hubel/layers-pool';
import * as tensor from '@hubel/layers-tensor';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const casesDir = process.env.ONNX_CONFORMANCE_DIR ? resolve(process.env.ONNX_CONFORMANCE_DIR) : resolve(repoRoot, '../shared/onnx-conformance/cases');

const isPlugin = (v: unknown): v is Plugin => typeof v === 'object' && v !== null && 'name' in v && ('layers' in v || 'kernels' in v);
const registry = new Registry().use(cpuBackend, ...[dense, activation, loss, conv, pool, norm, tensor].flatMap((m) => Object.values(m).filter(isPlugin)));
const importable = importableOps(registry);

type Result = { readonly name: string; readonly op: string; readonly result: 'pass' | 'fail' | 'unsupported'; readonly note: string };
const results = new Map<string, Result>();

/** The operator each case tests, from MANIFEST.tsv when it is there (expanded cases name the original op). */
function manifestOps(): Map<string, string> {
  const file = join(casesDir, '..', 'MANIFEST.tsv');
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const ci = header.indexOf('case'), oi = header.indexOf('operator');
  for (const r of rows) out.set(r[ci], r[oi]);
  return out;
}

/** Why a case is out of Hubel's scope, or undefined when it should run. */
function outOfScope(model: OnnxModelProto): string | undefined {
  const ops = [...new Set(model.graph.nodes.map((n) => `${n.domain}::${n.opType}`))].filter((k) => !importable.has(k));
  if (ops.length) return `ops not supported: ${ops.map((k) => k.replace(/^::/, '')).join(', ')}`;
  for (const v of model.graph.inputs) {
    if (v.kind !== 'tensor') return `${v.kind} input '${v.name}'`;
    if (v.elemType !== DataType.FLOAT && v.elemType !== DataType.INT64) return `${dataTypeName(v.elemType ?? 0)} input '${v.name}'`;
  }
  if (model.graph.inputs[0]?.elemType !== DataType.FLOAT) return `${dataTypeName(model.graph.inputs[0]?.elemType ?? 0)} data input`;
  for (const v of model.graph.outputs) {
    if (v.kind !== 'tensor') return `${v.kind} output '${v.name}'`;
    if (v.elemType !== DataType.FLOAT) return `${dataTypeName(v.elemType ?? 0)} output '${v.name}'`;
  }
  if (model.graph.inputs.some((v) => v.shape?.some((d) => d === 0))) return 'empty (zero-size) tensors';
  return undefined;
}

/** ONNX's runner: |a − e| ≤ 1e-7 + 1e-3·|e| element by element, NaN equal to NaN. */
function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): string | undefined {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= 1e-7 + 1e-3 * Math.abs(e))) return `element ${i}: ${a} vs expected ${e}`;
  }
  return undefined;
}

async function runCase(name: string, model: OnnxModelProto): Promise<void> {
  const dir = join(casesDir, name, 'test_data_set_0');
  const read = (f: string) => decodeTensorProto(readFileSync(join(dir, f)), `${name}/${f}`);
  const inputs = model.graph.inputs.map((v, i) => ({ info: v, proto: read(`input_${i}.pb`) }));
  const backend = createCpuBackend();
  const imported = importModelProto(model, {
    registry,
    backend,
    file: `${name}/model.onnx`,
    inputValues: Object.fromEntries(inputs.map((x) => [x.info.name, x.proto])),
  });
  const feeds = Object.fromEntries(
    imported.inputs.map((v) => {
      const t = readTensor(inputs.find((x) => x.info.name === v.name)!.proto);
      return [v.name, backend.tensor(t.values, t.dims, v.dtype === 'int32' ? 'int32' : undefined)];
    }),
  );
  const run = imported.forward(feeds, { mode: 'eval' });
  try {
    for (const [j, out] of model.graph.outputs.entries()) {
      const expected = readTensor(read(`output_${j}.pb`));
      const y = run.get(out.name);
      expect(y.shape, `${name}: shape of output '${out.name}'`).toEqual(expected.dims);
      const bad = firstMismatch(await y.read(), expected.values);
      expect(bad, `${name}: output '${out.name}' ${bad}`).toBeUndefined();
    }
  } finally {
    run.dispose();
    for (const t of Object.values(feeds)) t.dispose();
    imported.dispose();
  }
}

describe(`ONNX conformance cases (${casesDir})`, () => {
  if (!existsSync(casesDir)) {
    it('finds the conformance cases', () => {
      throw new Error(`ONNX conformance cases not found at ${casesDir} (expected ../shared/onnx-conformance/cases beside the repository, or set ONNX_CONFORMANCE_DIR)`);
    });
    return;
  }
  const ops = manifestOps();
  for (const name of readdirSync(casesDir).filter((d) => d.startsWith('test_')).sort()) {
    const model = decodeModel(readFileSync(join(casesDir, name, 'model.onnx')), `${name}/model.onnx`);
    const op = ops.get(name) ?? [...new Set(model.graph.nodes.map((n) => n.opType))].join(',');
    const reason = outOfScope(model);
    if (reason) {
      results.set(name, { name, op, result: 'unsupported', note: reason });
      continue;
    }
    it(`${name} (${op})`, async () => {
      try {
        await runCase(name, model);
        results.set(name, { name, op, result: 'pass', note: '' });
      } catch (e) {
        if (e instanceof UnsupportedOnnxError) {
          // A variant Hubel states it does not implement (extra outputs, a training-mode input, ...).
          results.set(name, { name, op, result: 'unsupported', note: e.message.replace(/^.*?: /, '') });
          return;
        }
        results.set(name, { name, op, result: 'fail', note: (e as Error).message.split('\n')[0] });
        throw e;
      }
    });
  }
});

afterAll(() => {
  if (!existsSync(casesDir)) return;
  const rows = [...results.values()].sort((a, b) => a.name.localeCompare(b.name));
  const w1 = Math.max(4, ...rows.map((r) => r.name.length));
  const w2 = Math.max(2, ...rows.map((r) => r.op.length));
  const lines = [`${'case'.padEnd(w1)}  ${'op'.padEnd(w2)}  result`];
  for (const r of rows) lines.push(`${r.name.padEnd(w1)}  ${r.op.padEnd(w2)}  ${r.result}${r.note ? ` (${r.note.slice(0, 160)})` : ''}`);
  const count = (k: Result['result']) => rows.filter((r) => r.result === k).length;
  lines.push(`conformance: ${count('pass')} passed, ${count('fail')} failed, ${count('unsupported')} unsupported`);
  console.log(lines.join('\n'));
});
