import type { Model, Tensor } from '@hubel/core';

/** A benchmark workload: `setup` builds inputs once; `run` is what gets timed. */
export interface Workload {
  /** Short id that `--only` selects by, e.g. 'W2-b8' (also selected by its prefix 'W2'). */
  readonly id: string;
  /** What is measured, in words. */
  readonly name: string;
  /** Floating-point operations per run, for GFLOP/s. */
  readonly flops?: number;
  /** Images per run, for images/s. */
  readonly images?: number;
  /** Examples per run, for examples/s. */
  readonly examples?: number;
  /** Untimed runs before the timed ones (default 2). */
  readonly warmup?: number;
  /** Timed runs, overriding `--runs`. */
  readonly runs?: number;
  /** Builds the model and inputs (untimed). */
  setup(): Promise<WorkloadInstance> | WorkloadInstance;
}

/** A set-up workload, ready to be timed. */
export interface WorkloadInstance {
  /** The timed work. */
  run(): void | Promise<void>;
  /** Frees what `setup` allocated. */
  dispose?(): void | Promise<void>;
  /** Threads the run uses (default 1). */
  readonly threads?: number;
  /** Backend label, e.g. 'cpu' or 'webgpu (llvmpipe ...)'. */
  readonly backend?: string;
  /**
   * What `pnpm bench --peers` (bench/peers) needs to run the same computation on another
   * engine, with the very weights and inputs `run` uses. Absent: the workload has no peer run.
   */
  readonly peer?: PeerSpec;
}

/**
 * The computation of a workload as other engines are given it: either a Hubel model (exported
 * to ONNX for ONNX Runtime, translated op by op for TensorFlow.js) applied to one input, or a
 * plain matrix product C = A·B.
 */
export type PeerSpec = PeerModelSpec | PeerMatMulSpec;

/** A single-input, single-output model applied to `input` (NCHW, float32), as `run` applies it. */
export interface PeerModelSpec {
  /** Discriminant: a model applied to one input. */
  readonly kind: 'model';
  /** The model `run` evaluates (eval mode, its own parameters). */
  readonly model: Model;
  /** The input values, row-major in `inputShape`. */
  readonly input: Float32Array;
  /** The input's shape, batch first (NCHW for images). */
  readonly inputShape: readonly number[];
  /** Hubel's output for `input` (one extra forward pass, untimed), row-major, NCHW for images. */
  output(): Promise<Float32Array>;
}

/** C (m×n) = A (m×k) · B (k×n), row-major float32. */
export interface PeerMatMulSpec {
  /** Discriminant: a plain matrix product. */
  readonly kind: 'matmul';
  /** Rows of A and C. */
  readonly m: number;
  /** Columns of B and C. */
  readonly n: number;
  /** Columns of A, rows of B. */
  readonly k: number;
  /** A, m×k row-major. */
  readonly a: Float32Array;
  /** B, k×n row-major. */
  readonly b: Float32Array;
  /** Hubel's C after one product (computed on the call, untimed), m×n row-major. */
  output(): Promise<Float32Array>;
}

/**
 * The {@link PeerModelSpec} of `model.predict(x)`, where `x` holds `input` in `inputShape`:
 * what `run` computes in the workloads that time a model's inference.
 */
export function modelPeerSpec(model: Model, x: Tensor, input: Float32Array): PeerModelSpec {
  return {
    kind: 'model',
    model,
    input,
    inputShape: x.shape,
    async output() {
      const y = model.predict(x);
      try {
        return Float32Array.from(await y.read());
      } finally {
        y.dispose();
      }
    },
  };
}
