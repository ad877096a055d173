// A compute program: WGSL text plus the declaration of its bindings. The pipeline cache keys
// programs by `key`, which must capture exactly what changes the text; sizes and scalars
// travel in the uniform block so one pipeline serves every shape.

/** WGSL scalar types a uniform field may have. */
export type UniformType = 'u32' | 'i32' | 'f32';

/** A storage binding: name in WGSL, access, element type. */
export interface StorageBinding {
  /** Variable name in WGSL. */
  readonly name: string;
  /** `read` for inputs, `read_write` for outputs. */
  readonly access: 'read' | 'read_write';
  /** Element type of the `array<…>`. */
  readonly type: 'f32' | 'i32' | 'u32';
}

/** A compute shader as data: its uniforms, storage bindings and body; the backend adds the header and caches pipelines by `key`. */
export interface Program {
  /** Kernel name, used in labels and error messages ('gemm', 'relu.backward'). */
  readonly name: string;
  /** Cache key: everything that changes the WGSL text (not sizes: those are uniforms). */
  readonly key: string;
  /** Uniform fields, in order: `u.<name>` in WGSL. Values are passed positionally to `run`. */
  readonly uniforms: readonly (readonly [string, UniformType])[];
  /** Storage bindings 1…n in order (binding 0 is the uniform block). At most 8. */
  readonly storage: readonly StorageBinding[];
  /** The shader body after the generated header (struct Params, bindings); entry point `main`. */
  readonly body: () => string;
}

/** The generated header: `struct Params`, `u` at binding 0 and the storage bindings. */
export function programHeader(p: Program): string {
  const fields = p.uniforms.length ? p.uniforms.map(([n, t]) => `  ${n}: ${t},`).join('\n') : '  unused: u32,';
  const lines = [`struct Params {\n${fields}\n}`, '@group(0) @binding(0) var<uniform> u: Params;'];
  p.storage.forEach((s, i) => lines.push(`@group(0) @binding(${i + 1}) var<storage, ${s.access}> ${s.name}: array<${s.type}>;`));
  return lines.join('\n') + '\n';
}

/** Full WGSL text of a program. */
export function programSource(p: Program): string {
  return programHeader(p) + p.body();
}

/** A read-only (input) storage binding; `write` makes an output one. */
export const read = (name: string, type: StorageBinding['type'] = 'f32'): StorageBinding => ({ name, access: 'read', type });
/** A read-write (output) storage binding. */
export const write = (name: string, type: StorageBinding['type'] = 'f32'): StorageBinding => ({ name, access: 'read_write', type });

/** Invocations per workgroup of the one-thread-per-element programs. */
export const WG = 256;

/**
 * WGSL for a linear invocation index over a 2-D grid of 1-D workgroups of `WG` threads (a
 * single dimension caps at 65,535 workgroups, i.e. 16 Mi elements). Pair with `grid`.
 */
export const LINEAR_INDEX = /* wgsl */ `
fn linearIndex(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * ${WG}u;
}
`;

/** Workgroup counts covering `count` threads in workgroups of `size`, folded into 2-D past 65,535. */
export function grid(count: number, size = WG): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / size));
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}
