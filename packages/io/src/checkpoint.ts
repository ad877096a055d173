import { HubelError, type Backend, type Model, type OptimizerState, type Registry, type TrainerState } from '@hubel/core';
import { buildModelProto } from './export/export.js';
import { readFileBytes, writeFileAtomic } from './file.js';
import { importModelProto } from './import/import.js';
import { decodeModel, encodeModel, type OnnxTensorProto } from './proto/messages.js';
import { DataType, makeTensor, readTensor } from './tensor-data.js';

/** metadata_props key holding the checkpoint's JSON (layout in README.md). */
export const CHECKPOINT_KEY = 'hubel.checkpoint';
/** Prefix of the initializers holding optimizer slots: `hubel.optim.<param key>.<slot>`. */
export const OPTIM_PREFIX = 'hubel.optim.';
const FORMAT = 1;

// JSON has no NaN or ±Infinity (epoch statistics use NaN for "no validation set").
const encodeNumber = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v);
const decodeNumber = (_k: string, v: unknown) => (v && typeof v === 'object' && '$number' in v ? Number((v as { $number: string }).$number) : v);

/**
 * A training checkpoint as ONNX bytes: the model exactly as `exportOnnx` writes it (parameters
 * in the backend's float type, so nothing is rounded; batch-norm statistics are parameters),
 * optimizer slots as extra initializers `hubel.optim.<param>.<slot>`, and everything else of
 * `TrainerState` (epoch, step, shuffle and dropout RNG streams, history, partial sums) plus the
 * model's own RNG stream as JSON in metadata_props[`hubel.checkpoint`]. ONNX Runtime still
 * loads the file as the plain model (unused initializers are ignored).
 */
export interface CheckpointOptions {
  /** Extra metadata_props entries (e.g. an application's run configuration), kept in the same file. */
  readonly metadata?: Record<string, string>;
}

/**
 * Serializes a model and a trainer's state (`await trainer.state()`) as checkpoint bytes (ONNX, see {@link CheckpointOptions}).
 * Throws HubelError 'graph' when the optimizer state names a parameter the model lacks.
 */
export async function checkpointBytes(model: Model, state: TrainerState, options: CheckpointOptions = {}): Promise<Uint8Array> {
  const floatType = model.backend.floatType;
  const dt = floatType === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
  const shapes = new Map(model.params().map((p) => [p.key, p.tensor.shape]));
  const extra: OnnxTensorProto[] = [];
  for (const [key, slots] of Object.entries(state.optimizer.slots)) {
    const shape = shapes.get(key);
    if (!shape) throw new HubelError('graph', `checkpoint: optimizer state has slots for '${key}', which is not a parameter of the model`);
    for (const [slot, values] of Object.entries(slots)) extra.push(makeTensor(`${OPTIM_PREFIX}${key}.${slot}`, shape, values, dt));
  }
  const { optimizer, ...rest } = state;
  const meta = {
    format: FORMAT,
    floatType,
    ...rest,
    optimizer: { kind: optimizer.kind, step: optimizer.step, slots: Object.fromEntries(Object.entries(optimizer.slots).map(([k, s]) => [k, Object.keys(s)])) },
    modelRng: model.rng.getState(),
  };
  if (options.metadata && CHECKPOINT_KEY in options.metadata) throw new HubelError('attribute', `checkpoint: metadata key '${CHECKPOINT_KEY}' is reserved`);
  const proto = await buildModelProto(model, { floatType, extraInitializers: extra, metadata: { ...options.metadata, [CHECKPOINT_KEY]: JSON.stringify(meta, encodeNumber) } });
  return encodeModel(proto);
}

/** Writes a checkpoint to `path` atomically (temporary file, then rename). Node only. */
export async function saveCheckpoint(path: string, model: Model, state: TrainerState, options: CheckpointOptions = {}): Promise<void> {
  await writeFileAtomic(path, await checkpointBytes(model, state, options));
}

/** What {@link readCheckpoint} and `loadCheckpoint` return. */
export interface Checkpoint {
  /** A fresh model with the checkpoint's parameters (and model RNG stream). */
  readonly model: Model;
  /** Pass to `trainer.fit({ resume: state })` with a new trainer over `model`. */
  readonly state: TrainerState;
  /** The file's other metadata_props entries (those given to `saveCheckpoint`, producer data, …). */
  readonly metadata: Record<string, string>;
}

/** Reads checkpoint bytes back; throws HubelError 'format' when the metadata is missing or malformed. */
export function readCheckpoint(bytes: Uint8Array, options: { registry: Registry; backend: Backend; file?: string }): Checkpoint {
  const file = options.file ?? 'checkpoint';
  const proto = decodeModel(bytes, file);
  const text = proto.metadata[CHECKPOINT_KEY];
  if (text === undefined) throw new HubelError('format', `${file}: not a Hubel checkpoint (no '${CHECKPOINT_KEY}' entry in metadata_props)`);
  let meta: Record<string, any>;
  try {
    meta = JSON.parse(text, decodeNumber);
  } catch (e) {
    throw new HubelError('format', `${file}: checkpoint metadata is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (meta.format !== FORMAT) throw new HubelError('format', `${file}: checkpoint format ${meta.format}, this version reads ${FORMAT}`);
  const slotTensors = new Map<string, OnnxTensorProto>();
  const initializers = proto.graph.initializers.filter((t) => {
    if (!t.name.startsWith(OPTIM_PREFIX)) return true;
    slotTensors.set(t.name, t);
    return false;
  });
  const { [CHECKPOINT_KEY]: _, ...metadata } = proto.metadata;
  const model = importModelProto({ ...proto, metadata, graph: { ...proto.graph, initializers } }, { registry: options.registry, backend: options.backend, file });
  if (meta.modelRng) model.rng.setState(meta.modelRng);
  const slots: OptimizerState['slots'] = {};
  for (const [key, names] of Object.entries(meta.optimizer.slots as Record<string, string[]>)) {
    slots[key] = {};
    for (const slot of names) {
      const t = slotTensors.get(`${OPTIM_PREFIX}${key}.${slot}`);
      if (!t) throw new HubelError('format', `${file}: checkpoint lists optimizer slot '${slot}' of '${key}' but has no initializer '${OPTIM_PREFIX}${key}.${slot}'`);
      slots[key][slot] = readTensor(t, `${file}: initializer '${t.name}'`).values as Float32Array | Float64Array;
    }
  }
  const { format: _f, floatType: _t, modelRng: _r, optimizer, ...rest } = meta;
  const state = { ...rest, optimizer: { kind: optimizer.kind, step: optimizer.step, slots } } as TrainerState;
  return { model, state, metadata };
}

/** Reads a checkpoint file (see `readCheckpoint`). Node only. */
export async function loadCheckpoint(path: string, options: { registry: Registry; backend: Backend }): Promise<Checkpoint> {
  return readCheckpoint(await readFileBytes(path), { ...options, file: path });
}
