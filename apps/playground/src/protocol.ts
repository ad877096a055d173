// Messages between the page (main.ts) and the training worker (worker.ts). Everything crosses
// by structured clone; typed arrays of pixels and ONNX bytes are transferred, not copied.

/** Backends the page offers. */
export type BackendChoice = 'cpu' | 'webgpu';
/** Zoo models the page trains (@hubel/models). */
export type ModelChoice = 'fashion' | 'lenet' | 'mlp';

/** An 8-bit gray picture (a @hubel/viz grid), drawn by the page onto a canvas. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** What the page asks the worker to do. */
export type ToWorker =
  | { readonly type: 'init'; readonly backend: BackendChoice; readonly model: ModelChoice; readonly dataUrl: string; readonly seed: number }
  | { readonly type: 'train'; readonly epochs: number; readonly batchSize: number; readonly lr: number }
  | { readonly type: 'pause' }
  | { readonly type: 'setLr'; readonly lr: number }
  | { readonly type: 'featureMaps'; readonly index: number }
  | { readonly type: 'classify'; readonly pixels: Float32Array }
  | { readonly type: 'export' }
  | { readonly type: 'load'; readonly name: string; readonly bytes: Uint8Array }
  | { readonly type: 'shutdown' };

/** Where the worker's model came from: trained on this page, or a dropped .onnx file. */
export type ModelSource = 'trained' | 'loaded';

/** One layer's feature maps for one image. */
export interface LayerMaps {
  readonly name: string;
  readonly op: string;
  readonly shape: readonly number[];
  readonly image: GrayImage;
}

/** What the worker tells the page. */
export type FromWorker =
  // Posted once the worker's modules are evaluated (backend-cpu compiles its WebAssembly with
  // top-level await first): messages sent before that would reach no handler and be lost.
  | { readonly type: 'alive' }
  | { readonly type: 'ready'; readonly backend: string; readonly software: boolean; readonly model: string; readonly params: number; readonly train: number; readonly validation: number; readonly test: number }
  | { readonly type: 'state'; readonly state: 'idle' | 'training' | 'paused' | 'done' }
  | { readonly type: 'batch'; readonly epoch: number; readonly batch: number; readonly batches: number; readonly step: number; readonly loss: number; readonly error: number; readonly imagesPerSecond: number }
  | { readonly type: 'epoch'; readonly epoch: number; readonly epochs: number; readonly step: number; readonly trainLoss: number; readonly trainError: number; readonly valLoss: number; readonly valError: number; readonly imagesPerSecond: number }
  | { readonly type: 'filters'; readonly image: GrayImage }
  | { readonly type: 'evaluation'; readonly source: ModelSource; readonly name: string; readonly correct: number; readonly total: number; readonly predictions: Int32Array; readonly confusion: number[][] }
  | { readonly type: 'maps'; readonly index: number; readonly layers: readonly LayerMaps[] }
  | { readonly type: 'classified'; readonly probabilities: readonly number[] }
  | { readonly type: 'onnx'; readonly bytes: Uint8Array }
  | { readonly type: 'loaded'; readonly name: string; readonly ops: readonly string[]; readonly input: string }
  | { readonly type: 'error'; readonly where: 'init' | 'train' | 'load' | 'export' | 'classify' | 'maps'; readonly message: string }
  | { readonly type: 'closed'; readonly liveTensors: number };
