/** A benchmark workload: `setup` builds inputs once; `run` is what gets timed. */
export interface Workload {
  readonly id: string;
  readonly name: string;
  /** Floating-point operations per run, for GFLOP/s. */
  readonly flops?: number;
  /** Images per run, for images/s. */
  readonly images?: number;
  /** Examples per run, for examples/s. */
  readonly examples?: number;
  readonly warmup?: number;
  readonly runs?: number;
  setup(): Promise<WorkloadInstance> | WorkloadInstance;
}

export interface WorkloadInstance {
  run(): void | Promise<void>;
  dispose?(): void | Promise<void>;
  /** Threads the run uses (default 1). */
  readonly threads?: number;
  /** Backend label, e.g. 'cpu' or 'webgpu (llvmpipe ...)'. */
  readonly backend?: string;
}
