// What bench/peers/run-peers.ts needs of a peer engine (TensorFlow.js's WebAssembly backend,
// ONNX Runtime): load once, then per workload prepare a run from the workload's PeerSpec.
import type { PeerSpec } from '../workload.js';

/** How a peer is named in the output. */
export interface PeerId {
  /** Its key in the JSON lines: `<key>_ms`, `<key>_reason`, ... (e.g. 'tfjs_wasm', 'ort'). */
  readonly key: string;
  /** The ratio's name is `hubel_vs_<vs>` (e.g. 'tfjs', 'ort'). */
  readonly vs: string;
  /** Human name with version, e.g. 'onnxruntime-node 1.30.0'. */
  readonly label: string;
}

/** A loaded peer engine. */
export interface PeerEngine extends PeerId {
  /** Threads its runs use (as the engine reports them where it can). */
  readonly threads: number;
  /** Facts copied into every JSON line, e.g. `{ tfjs_build: 'simd' }`. */
  readonly facts: Readonly<Record<string, string | number | boolean>>;
  /**
   * Uploads the spec's weights and inputs in the engine's own layout (untimed). Throws
   * {@link PeerUnsupported} when the engine cannot run the computation.
   */
  prepare(spec: PeerSpec): Promise<PeerRun>;
}

/** One workload set up on a peer engine. */
export interface PeerRun {
  /** The timed forward computation, ending when the result is on the host (dataSync / await). */
  run(): void | Promise<void>;
  /** The result of one more run, in Hubel's layout (NCHW for images), for the parity check. */
  output(): Promise<Float32Array>;
  /** Frees the engine's copies of weights and inputs. */
  dispose(): void | Promise<void>;
}

/** Thrown by {@link PeerEngine.prepare} when the engine cannot run a workload; the message says why. */
export class PeerUnsupported extends Error {
  override readonly name = 'PeerUnsupported';
}

/** A peer engine, or why it could not be loaded. */
export type PeerLoad = PeerId & ({ readonly engine: PeerEngine } | { readonly error: string });

/** `error`'s message, one line. */
export function reason(error: unknown): string {
  const m = error instanceof Error ? error.message : typeof error === 'object' && error && 'message' in error ? String((error as { message: unknown }).message) : String(error);
  return m.split('\n')[0];
}
