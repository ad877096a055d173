// The conformance harness shared by the CPU suite (conformance.test.ts) and the WebGPU one
// (tests/parity/conformance-webgpu.test.ts): ONNX's own node test cases (tests/conformance/onnx-cases,
// or ONNX_CONFORMANCE_DIR) through Hubel's importer on a given backend: import model.onnx, feed
// input_N.pb, compare with output_N.pb using ONNX's tolerance. A case is attempted when every
// op in its graph is importable and its tensors are float (int64 only for indices, shapes and
// labels, any integer type for Pow's exponent); the others are listed as unsupported.
// `register` adds one test per case and prints a table and, as its last line,
// `<label>: N passed, N failed, N unsupported` after all tests.
import type { Backend, Plugin } from '@hubel/core';
import { Registry } from '@hubel/core';
import { DataType, UnsupportedOnnxError, dataTypeName, decodeModel, decodeTensorProto, importModelProto, importableOps, integerInputsReadAsFloat, readTensor, type OnnxModelProto } from '@hubel/io';
import * as activation from '@hubel/layers-activation';
import * as conv from '@hubel/layers-conv';
import * as dense from '@hubel/layers-dense';
import * as loss from '@hubel/layers-loss';
import * as norm from '@hubel/layers-norm';
import * as pool from '@hubel/layers-pool';
import * as tensor from '@hubel/layers-tensor';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { casesDir } from './cases-dir.js';

export { casesDir, missingCasesMessage } from './cases-dir.js';

const isPlugin = (v: unknown): v is Plugin => typeof v === 'object' && v !== null && 'name' in v && ('layers' in v || 'kernels' in v);

/** Every layer plugin of the workspace (found by shape, so new plugins are picked up). */
export const layerPlugins: Plugin[] = [dense, activation, loss, conv, pool, norm, tensor].flatMap((m) => Object.values(m).filter(isPlugin));

export type Outcome = 'pass' | 'fail' | 'unsupported';
export interface CaseResult {
  readonly name: string;
  readonly op: string;
  readonly result: Outcome;
  readonly note: string;
}

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
function outOfScope(model: OnnxModelProto, importable: ReadonlySet<string>): string | undefined {
  const ops = [...new Set(model.graph.nodes.map((n) => `${n.domain}::${n.opType}`))].filter((k) => !importable.has(k));
  if (ops.length) return `ops not supported: ${ops.map((k) => k.replace(/^::/, '')).join(', ')}`;
  // Hubel computes in float32 and keeps int32 tensors only for labels, indices and shapes; the
  // importer reads integer inputs that only feed Pow's exponent as floats (Pow's result has the
  // base's type), so those are in scope whatever their integer type.
  const dtypeWhy = 'Hubel computes in float32, int only for labels, indices and Pow exponents';
  const readAsFloat = integerInputsReadAsFloat(model.graph);
  for (const v of model.graph.inputs) {
    if (v.kind !== 'tensor') return `${v.kind} input '${v.name}' (Hubel graphs take tensors)`;
    if (readAsFloat.has(v.name)) continue;
    if (v.elemType !== DataType.FLOAT && v.elemType !== DataType.INT64) return `${dataTypeName(v.elemType ?? 0)} input '${v.name}' (${dtypeWhy})`;
  }
  if (model.graph.inputs[0]?.elemType !== DataType.FLOAT) return `${dataTypeName(model.graph.inputs[0]?.elemType ?? 0)} data input (${dtypeWhy})`;
  for (const v of model.graph.outputs) {
    if (v.kind !== 'tensor') return `${v.kind} output '${v.name}' (Hubel graphs return tensors)`;
    // int64 outputs are indices (MaxPool's Indices), which Hubel computes as int32.
    if (v.elemType !== DataType.FLOAT && v.elemType !== DataType.INT64) return `${dataTypeName(v.elemType ?? 0)} output '${v.name}' (${dtypeWhy})`;
  }
  return undefined;
}

/**
 * ONNX's runner (numpy's assert_allclose with rtol 1e-3, atol 1e-7, equal_nan): element by
 * element |a − e| ≤ 1e-7 + 1e-3·|e| for a finite expected value; an infinite expected value
 * needs the same infinity (a tolerance around ∞ is ∞ itself, so the formula cannot decide it:
 * ∞ − ∞ is NaN); a NaN expected value needs a NaN. A NaN or infinite actual value against a
 * finite expected one fails (the comparison with NaN or ∞ is false). Returns a description of
 * the first mismatch (or of differing lengths), or undefined when every element matches.
 */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} values vs expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= 1e-7 + 1e-3 * Math.abs(e) : a === e;
    if (!ok) return `element ${i}: ${a} vs expected ${e}`;
  }
  return undefined;
}

async function runCase(name: string, model: OnnxModelProto, registry: Registry, backend: Backend): Promise<void> {
  const dir = join(casesDir, name, 'test_data_set_0');
  const read = (f: string) => decodeTensorProto(readFileSync(join(dir, f)), `${name}/${f}`);
  const inputs = model.graph.inputs.map((v, i) => ({ info: v, proto: read(`input_${i}.pb`) }));
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

/** The runner functions `register` needs (vitest's `it`, `afterAll`). */
export interface SuiteHooks {
  readonly it: (name: string, fn: () => Promise<void>) => void;
  readonly afterAll: (fn: () => void) => void;
}

export interface SuiteOptions {
  /** Summary label: `conformance` or `conformance (webgpu)`. */
  readonly label: string;
  /** Registry with the backend plugin whose kernels the cases use, plus the layer plugins. */
  readonly registry: Registry;
  /** The backend for one case (a fresh one per case, or a shared one). */
  readonly backend: () => Backend | Promise<Backend>;
}

/**
 * Registers one test per conformance case (inside the caller's `describe`) and the table
 * printed after them. Call only when `casesDir` exists.
 */
export function registerConformanceCases(hooks: SuiteHooks, o: SuiteOptions): void {
  const importable = importableOps(o.registry);
  const results = new Map<string, CaseResult>();
  const ops = manifestOps();
  for (const name of readdirSync(casesDir).filter((d) => d.startsWith('test_')).sort()) {
    const model = decodeModel(readFileSync(join(casesDir, name, 'model.onnx')), `${name}/model.onnx`);
    const op = ops.get(name) ?? [...new Set(model.graph.nodes.map((n) => n.opType))].join(',');
    const reason = outOfScope(model, importable);
    if (reason) {
      results.set(name, { name, op, result: 'unsupported', note: reason });
      continue;
    }
    hooks.it(`${name} (${op})`, async () => {
      try {
        await runCase(name, model, o.registry, await o.backend());
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
  hooks.afterAll(() => console.log(conformanceTable(o.label, [...results.values()])));
}

/** The table (case, op, result with its note) and, alone on the last line, the summary. */
export function conformanceTable(label: string, results: readonly CaseResult[]): string {
  const rows = [...results].sort((a, b) => a.name.localeCompare(b.name));
  const w1 = Math.max(4, ...rows.map((r) => r.name.length));
  const w2 = Math.max(2, ...rows.map((r) => r.op.length));
  const lines = [`${'case'.padEnd(w1)}  ${'op'.padEnd(w2)}  result`];
  for (const r of rows) lines.push(`${r.name.padEnd(w1)}  ${r.op.padEnd(w2)}  ${r.result}${r.note ? ` (${r.note.slice(0, 160)})` : ''}`);
  const count = (k: Outcome) => rows.filter((r) => r.result === k).length;
  lines.push(`${label}: ${count('pass')} passed, ${count('fail')} failed, ${count('unsupported')} unsupported`);
  return lines.join('\n');
}
