import { HubelError } from '@hubel/core';
import type { OnnxAttributeProto, OnnxFunctionProto, OnnxGraphProto, OnnxNodeProto } from '../proto/messages.js';
import { opLabel } from './errors.js';

/** A node's label for messages: `node 'conv1' (Conv)`, or its index when unnamed. */
export function nodeLabel(n: OnnxNodeProto, index?: number): string {
  const name = n.name ? `'${n.name}'` : `#${index ?? '?'}`;
  return `node ${name} (${opLabel(n.domain, n.opType)})`;
}

/**
 * Checks the graph's single-assignment rule and returns its nodes in topological order.
 * Throws HubelError 'graph' for a value defined twice, a node reading an undefined value (a
 * missing initializer), a graph output nobody defines, or a cycle (listing its nodes).
 */
export function checkAndSort(graph: OnnxGraphProto, nodes: readonly OnnxNodeProto[], file: string): OnnxNodeProto[] {
  const definedBy = new Map<string, string>();
  const define = (name: string, by: string) => {
    if (!name) throw new HubelError('graph', `${file}: ${by} defines a value with an empty name`);
    const prev = definedBy.get(name);
    if (prev !== undefined) throw new HubelError('graph', `${file}: value '${name}' is defined twice (by ${prev} and by ${by}); ONNX values are assigned once`);
    definedBy.set(name, by);
  };
  const initNames = new Set<string>();
  for (const t of graph.initializers) {
    if (initNames.has(t.name)) throw new HubelError('graph', `${file}: two initializers are named '${t.name}'`);
    initNames.add(t.name);
  }
  const inputNames = new Set<string>();
  for (const i of graph.inputs) {
    if (inputNames.has(i.name)) throw new HubelError('graph', `${file}: two graph inputs are named '${i.name}'`);
    inputNames.add(i.name);
    define(i.name, `graph input '${i.name}'`);
  }
  // An initializer with a graph input's name is that input's default value (onnx-notes §3).
  for (const t of graph.initializers) if (!inputNames.has(t.name)) define(t.name, `initializer '${t.name}'`);
  const producer = new Map<string, number>();
  nodes.forEach((n, k) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      define(o, nodeLabel(n, k));
      producer.set(o, k);
    }
  });
  const users: number[][] = nodes.map(() => []);
  const indeg = nodes.map(() => 0);
  nodes.forEach((n, k) => {
    for (const i of n.inputs) {
      if (i === '') continue;
      if (!definedBy.has(i)) {
        throw new HubelError('graph', `${file}: ${nodeLabel(n, k)} reads value '${i}', which is not a graph input, an initializer or any node's output (a missing initializer?)`);
      }
      const p = producer.get(i);
      if (p !== undefined) {
        users[p].push(k);
        indeg[k]++;
      }
    }
  });
  for (const o of graph.outputs) {
    if (!definedBy.has(o.name)) throw new HubelError('graph', `${file}: graph output '${o.name}' is not defined by any node, input or initializer`);
  }
  const ready: number[] = [];
  indeg.forEach((d, k) => d === 0 && ready.push(k));
  const order: OnnxNodeProto[] = [];
  for (let r = 0; r < ready.length; r++) {
    const k = ready[r];
    order.push(nodes[k]);
    for (const u of users[k]) if (--indeg[u] === 0) ready.push(u);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.flatMap((n, k) => (indeg[k] > 0 ? [nodeLabel(n, k)] : []));
    throw new HubelError('graph', `${file}: the graph has a cycle through ${stuck.slice(0, 10).join(', ')}${stuck.length > 10 ? `, … (${stuck.length} nodes)` : ''}`);
  }
  return order;
}

/**
 * Replaces nodes that call a model-local function (and that `handled` rejects) by the
 * function's body, with the body's values renamed under the caller (`<node>/<value>`) and
 * `ref_attr_name` attributes taken from the caller. Nested calls are expanded up to 8 deep.
 */
export function inlineFunctions(
  nodes: readonly OnnxNodeProto[],
  functions: readonly OnnxFunctionProto[],
  handled: (n: OnnxNodeProto) => boolean,
  file: string,
  depth = 0,
): OnnxNodeProto[] {
  if (functions.length === 0) return [...nodes];
  const out: OnnxNodeProto[] = [];
  nodes.forEach((n, k) => {
    const f = handled(n) ? undefined : functions.find((g) => g.name === n.opType && g.domain === n.domain && (g.overload ?? '') === (n.overload ?? ''));
    if (!f) {
      out.push(n);
      return;
    }
    if (depth >= 8) throw new HubelError('graph', `${file}: ${nodeLabel(n, k)}: model-local functions nest more than 8 deep (recursive function?)`);
    const prefix = n.name || `${n.opType}_${k}`;
    const rename = new Map<string, string>();
    f.inputs.forEach((formal, i) => rename.set(formal, n.inputs[i] ?? ''));
    f.outputs.forEach((formal, i) => rename.set(formal, n.outputs[i] ?? ''));
    const mapName = (v: string) => (v === '' ? '' : (rename.get(v) ?? `${prefix}/${v}`));
    const callerAttrs = new Map(n.attributes.map((a) => [a.name, a]));
    const body = f.nodes.map((b, j): OnnxNodeProto => ({
      ...b,
      name: `${prefix}/${b.name || `${b.opType}_${j}`}`,
      inputs: b.inputs.map(mapName),
      outputs: b.outputs.map(mapName),
      attributes: b.attributes.flatMap((a): OnnxAttributeProto[] => {
        if (!a.refAttrName) return [a];
        const v = callerAttrs.get(a.refAttrName);
        return v ? [{ ...v, name: a.name }] : [];
      }),
    }));
    out.push(...inlineFunctions(body, functions, handled, file, depth + 1));
  });
  return out;
}
