// Adapter and device acquisition: navigator.gpu in browsers, Dawn's `webgpu` package in Node
// (imported only when asked for). Limits are requested explicitly, clamped to what the adapter
// offers, and checked once against what Hubel's kernels assume.
import { HubelError } from '@hubel/core';

/** Where a device comes from. Every field is optional; the defaults find whatever adapter exists. */
export interface DeviceOptions {
  /** Use this device as is (its limits are still checked). The caller keeps ownership. */
  readonly device?: GPUDevice;
  /** The WebGPU entry point; default `navigator.gpu`, or in Node the `webgpu` package. */
  readonly gpu?: GPU;
  /** Passed to `requestAdapter`: `'high-performance'` or `'low-power'`. */
  readonly powerPreference?: GPUPowerPreference;
  /**
   * Node only: Dawn backends to try in order. 'default' is Dawn's platform choice (Vulkan,
   * Metal, D3D12) with a core adapter; 'opengles' is OpenGL ES through EGL with a
   * compatibility-mode adapter (Mesa llvmpipe on machines without a GPU). Default: both.
   */
  readonly nodeBackends?: readonly string[];
}

/**
 * The limits every Hubel kernel may assume (WebGPU's core defaults): 256 invocations per
 * workgroup, 16 KiB of workgroup storage, 8 storage buffers per stage. A device below them
 * is refused with an error naming the limit.
 */
export const REQUIRED_LIMITS = {
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxStorageBuffersPerShaderStage: 8,
} as const;

/** Limits asked for as high as the adapter allows (they only make larger tensors possible). */
const WANTED_MAX_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension'] as const;

/** A device with the adapter's description, for labels ("llvmpipe ..." must never pass for a GPU). */
export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** e.g. 'llvmpipe-llvm-15-0-6-256-bits- (OpenGL version OpenGL ES 3.2 Mesa 22.3.6)'. */
  readonly description: string;
  /** True when the adapter is a software fallback or a CPU rasterizer (llvmpipe, SwiftShader). */
  readonly software: boolean;
  /** Whether Hubel created the device (and so destroys it on dispose). */
  readonly owned: boolean;
}

// Dawn crashes when a `GPU` object is garbage-collected while a device made from it is in
// use (shared/docs/webgpu-on-cpu.md, section 7): every entry point created here stays reachable.
const nodeEntryPoints = new Map<string, GPU>();

/** Finds an adapter and makes a device with explicit limits; throws a HubelError saying why none was found. */
export async function acquireDevice(o: DeviceOptions = {}): Promise<AcquiredDevice> {
  if (o.device) {
    checkLimits(o.device.limits, 'the given device');
    return { device: o.device, description: 'caller-provided GPUDevice', software: false, owned: false };
  }
  const tried: string[] = [];
  for (const { gpu, label, featureLevel } of await entryPoints(o, tried)) {
    // A core adapter when there is one; OpenGL-based ones exist only at the compatibility level.
    let adapter: GPUAdapter | null = null;
    for (const level of featureLevel ? [featureLevel] : ['core', 'compatibility']) {
      adapter ??= await gpu.requestAdapter({ powerPreference: o.powerPreference, featureLevel: level });
    }
    if (!adapter) {
      tried.push(`${label}: no adapter`);
      continue;
    }
    const device = await adapter.requestDevice({ requiredLimits: requestedLimits(adapter) });
    checkLimits(device.limits, `adapter '${describeAdapter(adapter.info)}'`);
    const info = adapter.info;
    const software = info.isFallbackAdapter || /llvmpipe|swiftshader|softpipe|lavapipe/i.test(`${info.device} ${info.description} ${info.architecture}`);
    return { device, description: describeAdapter(info), software, owned: true };
  }
  throw new HubelError('backend', `webgpu backend: no WebGPU adapter found (${tried.join('; ')})`);
}

interface EntryPoint {
  readonly gpu: GPU;
  readonly label: string;
  readonly featureLevel?: string;
}

async function entryPoints(o: DeviceOptions, tried: string[]): Promise<EntryPoint[]> {
  if (o.gpu) return [{ gpu: o.gpu, label: 'the given GPU object' }];
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return [{ gpu: nav.gpu, label: 'navigator.gpu' }];
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) {
    tried.push('navigator.gpu is missing (this browser has no WebGPU, or the page is not a secure context)');
    return [];
  }
  let create: (flags: string[]) => GPU;
  try {
    // Optional dependency, loaded only when a WebGPU backend is asked for.
    ({ create } = (await import('webgpu')) as { create: (flags: string[]) => GPU });
  } catch (e) {
    tried.push(`the optional Node package 'webgpu' could not be loaded (${(e as Error).message}); install it with npm i webgpu`);
    return [];
  }
  // Mesa's EGL needs this to run without a display; it must be set before Dawn loads EGL.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const out: EntryPoint[] = [];
  for (const backend of o.nodeBackends ?? ['default', 'opengles']) {
    const flags = backend === 'default' ? [] : [`backend=${backend}`];
    let gpu = nodeEntryPoints.get(backend);
    if (!gpu) {
      try {
        gpu = create(flags);
      } catch (e) {
        tried.push(`Dawn backend '${backend}': ${(e as Error).message}`);
        continue;
      }
      nodeEntryPoints.set(backend, gpu);
    }
    // OpenGL/GLES adapters exist only at the compatibility feature level.
    const featureLevel = backend === 'opengles' || backend === 'opengl' ? 'compatibility' : undefined;
    out.push({ gpu, label: `Dawn backend '${backend}'`, featureLevel });
  }
  if (process.env.EGL_PLATFORM !== 'surfaceless') tried.push(`EGL_PLATFORM is '${process.env.EGL_PLATFORM}' (Mesa without a display needs 'surfaceless')`);
  return out;
}

function requestedLimits(adapter: GPUAdapter): Record<string, number> {
  const limits = adapter.limits as unknown as Record<string, number>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(REQUIRED_LIMITS)) out[k] = Math.min(v, limits[k]);
  for (const k of WANTED_MAX_LIMITS) out[k] = limits[k];
  return out;
}

function checkLimits(limits: GPUSupportedLimits, what: string): void {
  const have = limits as unknown as Record<string, number>;
  const short = Object.entries(REQUIRED_LIMITS).filter(([k, v]) => !(have[k] >= v));
  if (short.length) {
    throw new HubelError(
      'backend',
      `webgpu backend: ${what} is below the limits Hubel's kernels need: ${short.map(([k, v]) => `${k} ${have[k]} < ${v}`).join(', ')}`,
    );
  }
}

function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device].filter(Boolean).join(' ');
  const d = info.description ? (parts ? ` (${info.description})` : info.description) : '';
  return `${parts}${d}` || 'unknown adapter';
}
