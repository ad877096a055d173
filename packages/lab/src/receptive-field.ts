/**
 * Receptive fields from the graph alone: walking from the input, each windowed layer (kernel k,
 * stride s, dilation d, padding p before the first element) maps a field (size r, jump j, start o)
 * to r' = r + ((k − 1)·d)·j, j' = j·s, o' = o − p·j (Araujo et al. 2019, "Computing receptive
 * fields of convolutional neural networks"). Layers that keep the spatial size without a window
 * (activations, LRN, batch norm, dropout, elementwise ops, channel concat) pass the field through.
 */
import { HubelError, fmtShape, layerLabel, resolveWindowAxis, type AutoPad, type Model, type Node } from '@hubel/core';

/**
 * Where the units of one value look in the input image, per spatial axis ([H, W] for 2-D
 * layers). Unit i along an axis sees input pixels [offset + i·stride, offset + i·stride + size):
 * the field includes the positions a padded window reads outside the image, so `offset` is
 * negative after padding and a field may run past the far border.
 */
export interface ReceptiveField {
  /** The value whose units these are (a node's output). */
  readonly value: string;
  /** The graph input the field is measured in. */
  readonly input: string;
  /** Field size in input pixels per spatial axis (the span from first to last pixel seen; with dilation it has holes). */
  readonly size: readonly number[];
  /** Input pixels between neighbouring units ("jump"): the product of the strides on the path. */
  readonly stride: readonly number[];
  /** Input pixel where unit 0's field starts; negative where padding reaches before the image. */
  readonly offset: readonly number[];
}

/** Options of {@link receptiveField}. */
export interface ReceptiveFieldOptions {
  /** The graph input to measure in; default the model's first input. */
  readonly input?: string;
}

/** One unit's field as a box in the input: unclipped, and clipped to the image. Half-open ranges. */
export interface FieldBox {
  /** First pixel per spatial axis (may be negative). */
  readonly start: readonly number[];
  /** One past the last pixel per spatial axis (may exceed the image size). */
  readonly end: readonly number[];
  /** `start` clipped to the image. */
  readonly clippedStart: readonly number[];
  /** `end` clipped to the image. */
  readonly clippedEnd: readonly number[];
  /** True when the field lies entirely inside the image (no clipping). */
  readonly inside: boolean;
}

type Field = { readonly size: number[]; readonly stride: number[]; readonly offset: number[] };
/** What the walk knows about a value: its field, or why it has none. */
type State = { readonly field: Field } | { readonly reason: string };

/**
 * The receptive field of the units of `name` (a node name, standing for its first output, or a
 * value name), computed from the kernel shapes, strides, pads (auto_pad resolved with the
 * inferred input sizes) and dilations of every layer on the way from the input:
 *
 * - a node with a `kernelShape` attribute (Conv, LocallyConnected, MaxPool, AveragePool, SumPool,
 *   or a third-party layer using ONNX's window attributes) is a window; LocalContrastNorm is a
 *   `size`×`size` window with same padding; Pad shifts the offset;
 * - a node whose output is 1×1 while its input is larger (global pooling) sees its whole input;
 * - any other node that keeps the spatial size passes the field through. Statistics pooled over a
 *   whole map (instance normalization, batch statistics in training) rescale every position alike
 *   and are not counted as looking at those pixels: the field is the window geometry.
 *
 * Where paths join (Add, Concat, Max over several inputs) the field is the union of the incoming
 * fields: the smallest start and the largest end, so the size is at least the maximum over the
 * paths. That needs the paths to agree on the stride; where they do not the units of the paths
 * do not line up and this throws naming the node.
 *
 * Throws a `graph` HubelError listing the names when `name` is neither a node nor a value,
 * when the value has no spatial axes (after Flatten: each unit sees the whole input), when it
 * does not depend on the input, or when a node on the path changes the spatial size without
 * window attributes.
 */
export function receptiveField(model: Model, name: string, options: ReceptiveFieldOptions = {}): ReceptiveField {
  const inputName = options.input ?? model.inputs[0]?.name;
  const input = model.inputs.find((i) => i.name === inputName);
  if (!input) throw new HubelError('graph', `receptive field: no graph input named '${inputName}' (inputs: ${model.inputs.map((i) => i.name).join(', ')})`);
  const value = valueNamed(model, name);
  const rank = input.shape.length - 2;
  if (rank < 1) throw new HubelError('shape', `receptive field: graph input '${input.name}' has shape ${fmtShape(input.shape)}, expected [N, C, H, W] (or [N, C, L])`);
  const states = new Map<string, State>([[input.name, { field: { size: ones(rank), stride: ones(rank), offset: zeros(rank) } }]]);
  for (const node of model.nodes) {
    const state = nodeState(model, node, states, rank);
    if (state) for (const o of node.outputs) if (o) states.set(o, state);
    if (node.outputs.includes(value)) break;
  }
  const state = states.get(value);
  if (!state) throw new HubelError('graph', `receptive field: value '${value}' does not depend on graph input '${input.name}'`);
  if ('reason' in state) throw new HubelError('graph', `receptive field of '${value}': ${state.reason}`);
  return { value, input: input.name, size: state.field.size, stride: state.field.stride, offset: state.field.offset };
}

/**
 * The box one unit of a field sees: the unit at spatial `position` ([row, column] for 2-D),
 * unclipped and clipped to an image of `imageSize` ([H, W]). Throws on a rank mismatch.
 */
export function unitField(field: ReceptiveField, position: readonly number[], imageSize: readonly number[]): FieldBox {
  const r = field.size.length;
  if (position.length !== r || imageSize.length !== r) {
    throw new HubelError('shape', `unitField: the field of '${field.value}' has ${r} spatial axes; position ${fmtShape(position)} and image size ${fmtShape(imageSize)} must have ${r} values`);
  }
  const start = position.map((p, i) => field.offset[i] + p * field.stride[i]);
  const end = start.map((s, i) => s + field.size[i]);
  const clippedStart = start.map((s) => Math.max(0, s));
  const clippedEnd = end.map((e, i) => Math.min(imageSize[i], e));
  const inside = start.every((s, i) => s >= 0 && end[i] <= imageSize[i]);
  return { start, end, clippedStart, clippedEnd, inside };
}

/** The value `name` stands for: a node's first output when a node name (as `hubel inspect` prints them), else itself when a value. */
function valueNamed(model: Model, name: string): string {
  const node = model.nodes.find((n) => n.name === name);
  if (node?.outputs[0]) return node.outputs[0];
  const values = new Set<string>(model.inputs.map((i) => i.name));
  for (const n of model.nodes) for (const o of n.outputs) if (o) values.add(o);
  if (values.has(name)) return name;
  throw new HubelError('graph', `receptive field: no node or value named '${name}' (nodes: ${model.nodes.map((n) => n.name).join(', ')})`);
}

/** The state of a node's outputs, or undefined when none of its inputs depends on the graph input. */
function nodeState(model: Model, node: Node, states: ReadonlyMap<string, State>, rank: number): State | undefined {
  const where = `node '${node.name}' (${layerLabel(node.layer)})`;
  const incoming = node.inputs.map((v) => (v ? states.get(v) : undefined));
  if (!incoming.some(Boolean)) return undefined;
  const failed = incoming.find((s): s is { reason: string } => !!s && 'reason' in s);
  if (failed) return failed;
  const outShape = model.valueInfo.get(node.outputs[0])?.shape;
  if (outShape && outShape.length !== rank + 2) {
    return { reason: `${where} makes it ${fmtShape(outShape)}, with no spatial axes: each of its units sees the whole input` };
  }
  const fields = incoming.map((s) => (s && 'field' in s ? s.field : undefined));
  const inShape = model.valueInfo.get(node.inputs[0])?.shape;
  const inSizes = inShape?.slice(2);
  const attrs = node.attrs;
  if (Array.isArray(attrs.kernelShape)) {
    const x = fields[0];
    if (!x) return undefined;
    const k = attrs.kernelShape as number[];
    if (k.length !== rank) return { reason: `${where} has a ${k.length}-D kernel ${fmtShape(k)} on a ${rank}-D input` };
    const strides = (attrs.strides as number[] | undefined) ?? ones(rank);
    const dilations = (attrs.dilations as number[] | undefined) ?? ones(rank);
    const pads = (attrs.pads as number[] | undefined) ?? zeros(2 * rank);
    const autoPad = ((attrs.autoPad as AutoPad | undefined) ?? 'NOTSET') as AutoPad;
    const begins: number[] = [];
    for (let i = 0; i < rank; i++) {
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
        const inSize = inSizes?.[i];
        if (typeof inSize !== 'number') return { reason: `${where} pads with autoPad ${autoPad}, which depends on the input size, and the model records no size for '${node.inputs[0]}'` };
        begins.push(resolveWindowAxis({ inSize, kernel: k[i], stride: strides[i], dilation: dilations[i], padBegin: 0, padEnd: 0, autoPad }).padBegin);
      } else {
        begins.push(autoPad === 'VALID' ? 0 : pads[i]);
      }
    }
    return { field: window(x, k, strides, dilations, begins) };
  }
  if (node.layer.domain === 'ai.hubel' && node.layer.type === 'LocalContrastNorm' && typeof attrs.size === 'number' && fields[0]) {
    const s = attrs.size;
    return { field: window(fields[0], fill(rank, s), ones(rank), ones(rank), fill(rank, (s - 1) / 2)) };
  }
  if (node.layer.domain === '' && node.layer.type === 'Pad' && Array.isArray(attrs.pads) && fields[0]) {
    const pads = attrs.pads as number[];
    const r = pads.length / 2;
    const x = fields[0];
    // ONNX order: begins of every axis (N, C, then the spatial axes), then ends.
    return { field: { size: x.size, stride: x.stride, offset: x.offset.map((o, i) => o - (pads[r - rank + i] ?? 0) * x.stride[i]) } };
  }
  const present = fields.map((f, i) => (f ? i : -1)).filter((i) => i >= 0);
  const outSizes = outShape?.slice(2);
  const sizesOf = (i: number) => model.valueInfo.get(node.inputs[i])?.shape.slice(2);
  // A 1×1 output from a larger input without a window: global pooling or a reduction over space.
  const global = outSizes?.every((d) => d === 1) && present.some((i) => sizesOf(i)?.some((d) => d !== 1));
  if (global) {
    const all = present.map((i) => {
      const f = fields[i]!;
      const sizes = sizesOf(i);
      if (!sizes || sizes.some((d) => d === null)) return undefined;
      return { size: f.size.map((s, a) => s + ((sizes[a] as number) - 1) * f.stride[a]), stride: f.stride.map((j, a) => j * (sizes[a] as number)), offset: f.offset };
    });
    if (all.some((f) => !f)) return { reason: `${where} pools over the whole map, and the model records no size for its input` };
    const pooled = union(all as Field[], where);
    return typeof pooled === 'string' ? { reason: pooled } : { field: pooled };
  }
  for (const i of present) {
    const sizes = sizesOf(i);
    if (outSizes && sizes && sizes.some((d, a) => d !== null && outSizes[a] !== null && d !== outSizes[a])) {
      return { reason: `${where} changes the spatial size from ${fmtShape(sizes)} to ${fmtShape(outSizes)} without window attributes (kernelShape, strides, pads): cannot follow the field through it` };
    }
  }
  const joined = union(present.map((i) => fields[i]!), where);
  return typeof joined === 'string' ? { reason: joined } : { field: joined };
}

/** One windowed layer applied to field x (the recurrence in the file comment). */
function window(x: Field, kernel: readonly number[], strides: readonly number[], dilations: readonly number[], padBegins: readonly number[]): Field {
  return {
    size: x.size.map((r, i) => r + (kernel[i] - 1) * dilations[i] * x.stride[i]),
    stride: x.stride.map((j, i) => j * strides[i]),
    offset: x.offset.map((o, i) => o - padBegins[i] * x.stride[i]),
  };
}

/** The union of fields reaching one node: smallest start to largest end; a message when the strides differ. */
function union(fields: readonly Field[], where: string): Field | string {
  const [first] = fields;
  for (const f of fields) {
    if (f.stride.some((j, i) => j !== first.stride[i])) {
      return `${where} joins paths whose units step by ${fields.map((g) => fmtShape(g.stride)).join(' and ')} input pixels: their fields do not line up`;
    }
  }
  const offset = first.offset.map((_, i) => Math.min(...fields.map((f) => f.offset[i])));
  const size = first.size.map((_, i) => Math.max(...fields.map((f) => f.offset[i] + f.size[i])) - offset[i]);
  return { size, stride: [...first.stride], offset };
}

const fill = (n: number, v: number) => new Array<number>(n).fill(v);
const ones = (n: number) => fill(n, 1);
const zeros = (n: number) => fill(n, 0);
