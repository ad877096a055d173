import { defineConfig } from 'vitest/config';

// WebGPU on Mesa's software renderer needs EGL_PLATFORM in the real environment of every
// worker (see shared/docs/webgpu-on-cpu.md); setting it here reaches forked workers.
process.env.EGL_PLATFORM ??= 'surfaceless';

// Tests import packages by their public names; the '@hubel/source' export condition points
// those names at src/, so no build is needed first.
const conditions = ['@hubel/source', 'node', 'import', 'module', 'default'];

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
    ],
  },
});
