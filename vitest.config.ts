import { playwright } from '@vitest/browser-playwright';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH, IN_CI, ISOLATION_HEADERS, chromiumMissing } from './tests/browser/chromium.js';

// WebGPU on Mesa's software renderer needs EGL_PLATFORM in the real environment of every
// worker (see shared/docs/webgpu-on-cpu.md); setting it here reaches forked workers.
process.env.EGL_PLATFORM ??= 'surfaceless';

// Tests import packages by their public names; the '@hubel/source' export condition points
// those names at src/, so no build is needed first.
const conditions = ['@hubel/source', 'node', 'import', 'module', 'default'];
// The same names in Chromium: the 'browser' condition and package.json "browser" fields apply
// (backend-webgpu maps the Node-only 'webgpu' package away), 'node' does not.
const browserConditions = ['@hubel/source', 'browser', 'import', 'module', 'default'];

// The 'browser' project runs tests/browser/*.test.ts inside headless Chromium (Debian's, never a
// downloaded one). Without a Chromium binary it runs a single Node file instead, which fails
// under CI=true and otherwise skips with the reason.
const noChromium = chromiumMissing();
const cpuUnitTestsForBrowser = ['channel', 'im2col', 'softmax', 'window'].map((f) => `packages/backend-cpu/src/blocks/${f}.test.ts`);
const browserProject = noChromium
  ? { test: { name: 'browser', include: ['tests/browser/node/no-chromium.test.ts'], env: { HUBEL_NO_CHROMIUM: noChromium } } }
  : {
      resolve: { conditions: browserConditions, alias: [{ find: /^fs$/, replacement: fileURLToPath(new URL('./tests/browser/no-fs.ts', import.meta.url)) }] },
      // Cross-origin isolation for the test pages: SharedArrayBuffer, shared wasm memory.
      server: { headers: { ...ISOLATION_HEADERS } },
      // A page has no environment: CI reaches gpuBackendOrSkip this way, so that under CI=true a
      // missing WebGPU adapter fails the browser suites too (without it they would skip).
      define: { 'process.env.CI': JSON.stringify(IN_CI ? 'true' : '') },
      // Dependencies are found by scanning the test files (and the Web Workers they start) up
      // front, every run (force): one found mid-run (a stale cache) makes Vite reload the page
      // under a running test.
      optimizeDeps: { entries: ['tests/browser/*.test.ts', 'tests/browser/workers/*.ts', ...cpuUnitTestsForBrowser], force: true },
      test: {
        name: 'browser',
        // Ours, plus the CPU backend's own unit tests that need nothing from Node.
        include: ['tests/browser/*.test.ts', ...cpuUnitTestsForBrowser],
        testTimeout: 120_000,
        hookTimeout: 120_000,
        browser: {
          enabled: true,
          headless: true,
          provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] } }),
          instances: [{ browser: 'chromium' as const }],
        },
      },
    };

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@hubel/source'] } },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'], exclude: ['packages/backend-webgpu/**', '**/node_modules/**'] } },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'] } },
      { extends: true, test: { name: 'onnx', include: ['tests/onnx/**/*.test.ts'] } },
      { extends: true, test: { name: 'conformance', include: ['tests/conformance/**/*.test.ts'] } },
      { extends: true, test: { name: 'webgpu', include: ['tests/parity/**/*.test.ts', 'packages/backend-webgpu/src/**/*.test.ts'] } },
      browserProject,
      // The playground end to end: Node drives Chromium through playwright-core.
      { extends: true, test: { name: 'playground', include: ['tests/browser/node/playground.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 } },
    ],
  },
});
