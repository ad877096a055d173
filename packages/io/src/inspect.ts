import { decodeModel, type OnnxDim, type OnnxValueInfoProto } from './proto/messages.js';
import { FROZEN_KEY, readFrozenKeys } from './frozen.js';
import { dataTypeName, elementCount } from './tensor-data.js';

const dims = (shape: readonly OnnxDim[] | undefined) => (shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '[rank unknown]');
const value = (v: OnnxValueInfoProto) => `  ${v.name}: ${v.kind === 'tensor' ? `${dataTypeName(v.elemType ?? 0)} ${dims(v.shape)}` : v.kind}`;

/**
 * A human-readable summary of a `.onnx` file (what `hubel inspect` prints): producer, IR
 * version, opsets, inputs and outputs with shapes, nodes with their inputs and outputs,
 * model-local functions, the number of parameters (initializer elements) and which of them
 * are frozen (the `hubel.frozen` metadata entry). Throws
 * HubelError 'format' for bytes that are not an ONNX model.
 */
export function inspectOnnx(bytes: Uint8Array, file = 'ONNX model'): string {
  const m = decodeModel(bytes, file);
  const g = m.graph;
  const inits = new Set(g.initializers.map((t) => t.name));
  let params = 0;
  for (const t of g.initializers) params += elementCount(t.dims, `${file}: initializer '${t.name}'`);
  const lines = [
    `${file}: ONNX IR ${m.irVersion}, produced by ${m.producerName || '(unknown)'} ${m.producerVersion}`.trimEnd(),
    `opsets: ${m.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ') || 'none'}`,
    `graph '${g.name}': ${g.nodes.length} nodes, ${g.initializers.length} initializers, ${params.toLocaleString('en-US')} parameters`,
    'inputs:',
    ...g.inputs.filter((i) => !inits.has(i.name)).map(value),
    'outputs:',
    ...g.outputs.map(value),
    'nodes:',
    ...g.nodes.map((n, k) => `  ${n.name || `#${k}`}: ${n.domain ? `${n.domain}.` : ''}${n.opType}(${n.inputs.map((i) => i || '∅').join(', ')}) → ${n.outputs.join(', ')}`),
  ];
  if (m.functions.length) lines.push('functions:', ...m.functions.map((f) => `  ${f.domain}.${f.name}${f.overload ? `:${f.overload}` : ''}: ${f.nodes.length} nodes`));
  const meta = Object.keys(m.metadata);
  if (meta.length) lines.push(`metadata: ${meta.join(', ')}`);
  const frozen = readFrozenKeys(m.metadata, file);
  if (frozen.length) lines.push(`frozen (initializers Hubel does not train, from '${FROZEN_KEY}'): ${frozen.join(', ')}`);
  return lines.join('\n');
}
