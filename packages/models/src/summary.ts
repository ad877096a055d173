import { fmtShape, layerLabel, type Model } from '@hubel/core';

/** One row of a model summary: a node, its op, output shapes and parameter count. */
export interface LayerRow {
  /** Node name. */
  readonly node: string;
  /** The layer, as `Conv` or `ai.hubel.Maxout`. */
  readonly op: string;
  /** Output value names. */
  readonly outputs: readonly string[];
  /** Output shapes, `N` for the batch dimension. */
  readonly shapes: readonly string[];
  /** Trainable parameter scalars of the node (running statistics and frozen parameters not counted). */
  readonly params: number;
  /** Names of the node's frozen parameters (see `NodeOptions.frozen` in @hubel/core); empty when none. */
  readonly frozen: readonly string[];
  /** Scalars in the frozen parameters. */
  readonly frozenParams: number;
}

/** Per-node output shapes (from the model's shape inference) and parameter counts. */
export function layerTable(model: Model): LayerRow[] {
  return model.nodes.map((n) => ({
    node: n.name,
    op: layerLabel(n.layer),
    outputs: n.outputs,
    shapes: n.outputs.map((o) => {
      const info = model.valueInfo.get(o);
      return info ? fmtShape(info.shape) : '?';
    }),
    params: Object.entries(n.params).reduce((s, [k, t]) => s + (n.paramSpecs[k]?.trainable === false ? 0 : t.size), 0),
    frozen: n.frozen ?? [],
    frozenParams: (n.frozen ?? []).reduce((s, k) => s + (n.params[k]?.size ?? 0), 0),
  }));
}

/**
 * The table as aligned text, with a total line (trainable parameters) and, when some are
 * frozen, a line naming the frozen parameters (`conv1.W`) and their scalar count.
 */
export function formatLayerTable(rows: readonly LayerRow[]): string {
  const head = ['node', 'op', 'output shape', 'params'];
  const body = rows.map((r) => [r.node, r.op, r.shapes.join(', '), r.params.toLocaleString('en-US')]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const total = rows.reduce((s, r) => s + r.params, 0);
  const lines = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), `total trainable parameters: ${total.toLocaleString('en-US')}`];
  const frozen = rows.flatMap((r) => r.frozen.map((p) => `${r.node}.${p}`));
  if (frozen.length) {
    const count = rows.reduce((s, r) => s + r.frozenParams, 0);
    lines.push(`frozen parameters (trainable: false, not updated by training): ${frozen.join(', ')} (${count.toLocaleString('en-US')} scalars)`);
  }
  return lines.join('\n');
}
