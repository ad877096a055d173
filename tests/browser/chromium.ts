// Node side of the browser suites: which Chromium runs them, with which flags, and the headers
// that make a page cross-origin isolated. Used by vitest.config.ts, the playground's end-to-end
// test and `pnpm bench:browser`. Never downloads a browser: Debian's `chromium` package (with
// SwiftShader for WebGPU) is the one we drive; see shared/docs/webgpu-on-cpu.md §6.
import { existsSync } from 'node:fs';

/** The Chromium binary: `HUBEL_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH: string = process.env.HUBEL_CHROMIUM || '/usr/bin/chromium';

/**
 * Flags added to Playwright's headless defaults (which already bring --headless, --no-sandbox,
 * --enable-unsafe-swiftshader, --disable-dev-shm-usage): without --enable-unsafe-webgpu,
 * `navigator.gpu.requestAdapter()` returns null on Linux; the rest keep Chromium off the network.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Cross-origin isolation: with these headers `crossOriginIsolated` is true, so SharedArrayBuffer
 * and shared WebAssembly memory exist (the CPU backend keeps its float32 tensors there).
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

/** True when CI=true: a missing browser or WebGPU adapter must fail the run, not skip it. */
export const IN_CI: boolean = process.env.CI === 'true';

/** Why the browser suites cannot run here (no Chromium binary), or undefined when they can. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set HUBEL_CHROMIUM to a Chromium binary)`;
}
