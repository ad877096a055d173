/**
 * @hubel/io: ONNX export and import (protobufjs over ONNX's field numbers), atomic file
 * writes, checkpoints that resume training exactly, and a model inspector.
 */
export { exportOnnx, buildModelProto, irVersionFor, MIN_EXPORT_OPSET, MAX_EXPORT_OPSET, type ExportOptions } from './export/export.js';
export { importOnnx, importModelProto, importableOps, integerInputsReadAsFloat, type ImportOptions } from './import/import.js';
export { UnsupportedOnnxError } from './import/errors.js';
export { ADAPTERS, type OnnxAdapter } from './import/adapters.js';
export type { ImportContext } from './import/context.js';
export { snakeCase, camelCase, ioMapping, type OnnxIoExtension, type OnnxInputFromAttr, type IoMapping } from './onnx-extension.js';
export { DataType, dataTypeName, readTensor, makeTensor, elementCount, MAX_ELEMENTS, type HostTensor } from './tensor-data.js';
export {
  decodeModel,
  encodeModel,
  decodeTensorProto,
  encodeTensorProto,
  decodeSequenceProto,
  AttrType,
  type OnnxModelProto,
  type OnnxGraphProto,
  type OnnxNodeProto,
  type OnnxTensorProto,
  type OnnxAttributeProto,
  type OnnxValueInfoProto,
  type OnnxFunctionProto,
  type OnnxDim,
} from './proto/messages.js';
export { ONNX_PROTO, onnxRoot, onnxType } from './proto/schema.js';
export { HUBEL_PRODUCER, HUBEL_VERSION } from './version.js';
export { saveOnnx, loadOnnx, writeFileAtomic } from './file.js';
export { checkpointBytes, saveCheckpoint, readCheckpoint, loadCheckpoint, CHECKPOINT_KEY, OPTIM_PREFIX, type Checkpoint, type CheckpointOptions } from './checkpoint.js';
export { inspectOnnx } from './inspect.js';
export { FROZEN_KEY, readFrozenKeys } from './frozen.js';
