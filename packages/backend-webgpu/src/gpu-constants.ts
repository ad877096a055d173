// WebGPU's flag values, spelled out so the backend needs no `GPUBufferUsage` global (Node's
// `webgpu` package only defines those after `Object.assign(globalThis, globals)`).

/** GPUBufferUsage flags (WebGPU spec). */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

/** GPUMapMode.READ. */
export const MAP_READ = 0x0001;

/** GPUShaderStage.COMPUTE. */
export const STAGE_COMPUTE = 0x4;
