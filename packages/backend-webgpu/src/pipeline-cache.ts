// Compute pipelines by program key, each with an explicit bind-group layout (uniform block at
// binding 0, then the storage bindings). Compilation runs inside an error scope; a WGSL error
// is reported with the kernel's name, the line and the offending source text.
import { HubelError } from '@hubel/core';
import { STAGE_COMPUTE } from './gpu-constants.js';
import type { GpuErrorSink } from './gpu-errors.js';
import { programSource, type Program } from './program.js';

export interface CachedPipeline {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly program: Program;
}

/** Compiled pipelines by `Program.key`; a pipeline whose WGSL fails to compile is reported and evicted. */
export class PipelineCache {
  readonly #cache = new Map<string, CachedPipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly sink: GpuErrorSink,
  ) {}

  /** Pipelines compiled so far. */
  get size(): number {
    return this.#cache.size;
  }

  get(program: Program): CachedPipeline {
    const hit = this.#cache.get(program.key);
    if (hit) return hit;
    if (program.storage.length > 8) {
      throw new HubelError('backend', `webgpu kernel '${program.name}': ${program.storage.length} storage bindings, WebGPU guarantees 8`);
    }
    const code = programSource(program);
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label: program.name });
    const layout = device.createBindGroupLayout({
      label: program.name,
      entries: [
        { binding: 0, visibility: STAGE_COMPUTE, buffer: { type: 'uniform' } },
        ...program.storage.map((s, i) => ({
          binding: i + 1,
          visibility: STAGE_COMPUTE,
          buffer: { type: s.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
        })),
      ],
    });
    const pipeline = device.createComputePipeline({
      label: program.name,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout], label: program.name }),
      compute: { module, entryPoint: 'main' },
    });
    this.sink.track(
      device.popErrorScope().then(async (err) => {
        if (!err) return null;
        this.#cache.delete(program.key); // a later use recompiles (and fails again) rather than reusing a broken pipeline
        const info = await module.getCompilationInfo();
        return compileError(program, code, info.messages, err.message);
      }),
      0,
    );
    const entry = { pipeline, layout, program };
    this.#cache.set(program.key, entry);
    return entry;
  }
}

function compileError(program: Program, code: string, messages: readonly GPUCompilationMessage[], fallback: string): HubelError {
  const lines = code.split('\n');
  const errors = messages.filter((m) => m.type === 'error');
  if (!errors.length) return new HubelError('backend', `webgpu kernel '${program.name}' (key ${program.key}): pipeline creation failed: ${fallback}`);
  const text = errors
    .map((m) => `line ${m.lineNum}:${m.linePos}\n  ${m.lineNum} | ${lines[m.lineNum - 1] ?? ''}\n${m.message}`)
    .join('\n');
  return new HubelError('backend', `webgpu kernel '${program.name}' (key ${program.key}): WGSL compile error at ${text}`);
}
